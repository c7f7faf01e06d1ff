import * as http from "node:http";
import type { AddressInfo } from "node:net";

/*
 * A fake OpenAI-compatible LLM (`POST /v1/chat/completions`, streaming SSE and plain JSON)
 * that scripts one agent turn: while no tool result is in the conversation it calls the
 * terminal tool with `command`; once one is, it calls `finish`. Tool arguments are filled
 * from each tool's JSON schema in the request, so the extra fields the SDK adds (`summary`,
 * `security_risk`) get valid values. Requests without tools (titles, condensation) get text.
 */

export interface FakeLlm {
  port: number;
  requests: Array<Record<string, any>>;
  close(): Promise<void>;
}

function argsFor(tool: Record<string, any> | undefined, given: Record<string, unknown>): string {
  const props: Record<string, any> = tool?.function?.parameters?.properties ?? {};
  const required: string[] = tool?.function?.parameters?.required ?? [];
  const out: Record<string, unknown> = { ...given };
  for (const k of required) {
    if (k in out) continue;
    const p = props[k] ?? {};
    out[k] = p.enum ? (p.enum.includes("LOW") ? "LOW" : p.enum[0]) : p.type === "boolean" ? false : p.type === "number" || p.type === "integer" ? 0 : `itest ${k}`;
  }
  if ("summary" in props && !("summary" in out)) out.summary = "itest step";
  if ("security_risk" in props && !("security_risk" in out)) out.security_risk = props.security_risk.enum?.includes("LOW") ? "LOW" : (props.security_risk.enum?.[0] ?? "LOW");
  return JSON.stringify(out);
}

export async function startFakeLlm(command: string): Promise<FakeLlm> {
  const requests: Array<Record<string, any>> = [];
  let calls = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", () => {
      if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
        res.writeHead(req.url?.endsWith("/models") ? 200 : 404, { "content-type": "application/json" }).end(JSON.stringify({ object: "list", data: [{ id: "itest-model", object: "model" }] }));
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
      requests.push(body);
      const tools: Array<Record<string, any>> = body.tools ?? [];
      const byName = (n: string) => tools.find((t) => t.function?.name === n);
      const sawTool = (body.messages ?? []).some((m: { role: string }) => m.role === "tool");
      const id = `call_${++calls}`;
      let message: Record<string, any>;
      if (tools.length === 0) message = { role: "assistant", content: "itest reply" };
      else if (!sawTool) message = { role: "assistant", content: null, tool_calls: [{ id, type: "function", function: { name: "terminal", arguments: argsFor(byName("terminal"), { command }) } }] };
      else message = { role: "assistant", content: null, tool_calls: [{ id, type: "function", function: { name: "finish", arguments: argsFor(byName("finish"), { message: "The file is created." }) } }] };
      const finish = message.tool_calls ? "tool_calls" : "stop";
      const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
      const created = Math.floor(Date.now() / 1000);
      if (!body.stream) {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ id: `chatcmpl-${calls}`, object: "chat.completion", created, model: body.model, choices: [{ index: 0, message, finish_reason: finish }], usage }));
        return;
      }
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      const send = (delta: Record<string, unknown>, finishReason: string | null, extra: Record<string, unknown> = {}) =>
        res.write(`data: ${JSON.stringify({ id: `chatcmpl-${calls}`, object: "chat.completion.chunk", created, model: body.model, choices: [{ index: 0, delta, finish_reason: finishReason }], ...extra })}\n\n`);
      send({ role: "assistant", content: message.content ?? "" }, null);
      if (message.tool_calls) send({ tool_calls: message.tool_calls.map((t: Record<string, unknown>, index: number) => ({ index, ...t })) }, null);
      send({}, finish, { usage });
      res.end("data: [DONE]\n\n");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
