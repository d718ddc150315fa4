/** What is wrong in a decision registry document, and where (both our layout and the upstream one report these). */
export interface RegistryProblem {
  path: Array<string | number>;
  message: string;
}
