/*
 * The test-facing entry of the program runner and the stack config; both live in `tools/`,
 * where bench and scripts import them too.
 */
export * from "../../tools/program";
export * from "../../tools/stack-config";
