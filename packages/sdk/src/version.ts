export const SDK_NAME = '@decision-trace/sdk';
export const SDK_VERSION = '0.1.0';
