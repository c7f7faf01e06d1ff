import { describe, it } from "node:test";

/*
 * Item 3: the OllamaFleet operator end to end, run as a process against the local cluster
 * (helpers/operator.ts: startOperator, stop), with the scenarios of the Ollama fleet issue.
 * They are added with the finished operator; until then this suite is one pending test.
 */

describe("the OllamaFleet operator against the local cluster", () => {
  it.todo("runs the scenarios of the Ollama fleet issue (pending the finished operator)");
});
