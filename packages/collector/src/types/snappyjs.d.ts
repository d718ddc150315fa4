// snappyjs ships no type declarations; these are the two functions of its documented API in use.
declare module 'snappyjs' {
  const snappy: {
    /** Decompresses a snappy block; throws when its declared length exceeds `maxLength`. */
    uncompress(compressed: Uint8Array, maxLength?: number): Uint8Array;
    compress(uncompressed: Uint8Array): Uint8Array;
  };
  export default snappy;
}
