/** A query argument the caller got wrong (the API answers 400 with the message). */
export class InvalidQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidQueryError';
  }
}
