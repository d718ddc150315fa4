// The Node.js release lines the collector is tested on (see the README's support table and
// .ci/run, which runs the whole suite on each). Keep in step with `engines` in package.json.
// The minimum minors are the releases that run ES modules from require() unflagged, which the
// OpenTelemetry packages' dual builds expect; nothing older is tested.
export const SUPPORTED_NODE_LINES = [
  { major: 20, minMinor: 19 },
  { major: 22, minMinor: 12 },
  { major: 24, minMinor: 0 },
];

/** Why `version` (e.g. "18.19.0") cannot run the CLI, or null when it can. */
export function unsupportedRuntime(version) {
  const [major, minor] = version.split('.').map(Number);
  const supported = SUPPORTED_NODE_LINES.map((line) => `${line.major}.${line.minMinor}+`).join(', ');
  const line = SUPPORTED_NODE_LINES.find((candidate) => candidate.major === major);
  if (line !== undefined && minor >= line.minMinor) return null;
  if (untestedRuntime(version) !== null) return null;
  return `Node.js ${version} is not supported; use Node.js ${supported} (this is ${process.execPath})`;
}

/** A note for a runtime newer than any tested line (it may work; nobody has shown it does), else null. */
export function untestedRuntime(version) {
  const major = Number(version.split('.')[0]);
  const newest = SUPPORTED_NODE_LINES[SUPPORTED_NODE_LINES.length - 1].major;
  if (major <= newest) return null;
  return `Node.js ${version} is newer than the lines tested (${SUPPORTED_NODE_LINES.map((l) => l.major).join(', ')}); report what fails`;
}
