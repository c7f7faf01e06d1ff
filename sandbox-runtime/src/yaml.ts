/*
 * Just enough YAML for kubeconfig files as kubectl and cluster tools write them: block
 * mappings, block sequences of mappings or scalars ("- name: x"), plain, single- and
 * double-quoted scalars, one-line flow collections of plain scalars (`{cluster: a, user: b}`),
 * comments. Nested flow collections, anchors,
 * multi-line scalars and multiple documents are rejected with the line number, so an unusual
 * file fails loudly instead of being misread (convert it with `kubectl config view --raw -o json`).
 */

type Node = string | Node[] | { [k: string]: Node } | null;

interface Line {
  indent: number;
  text: string;
  no: number;
}

function scalar(raw: string, no: number): Node {
  const s = raw.trim();
  if (s === "" || s === "~" || s === "null") return null;
  if (s === "{}") return {};
  if (s === "[]") return [];
  if (s.startsWith('"')) {
    if (!s.endsWith('"') || s.length < 2) throw new Error(`kubeconfig line ${no}: unterminated double-quoted string`);
    return JSON.parse(s) as string;
  }
  if (s.startsWith("'")) {
    if (!s.endsWith("'") || s.length < 2) throw new Error(`kubeconfig line ${no}: unterminated single-quoted string`);
    return s.slice(1, -1).replace(/''/g, "'");
  }
  const flow = /^([[{])(.*)([\]}])$/.exec(s);
  if (flow && !/[[\]{}]/.test(flow[2]) && (flow[1] === "{") === (flow[3] === "}")) {
    // One-line flow collections of plain scalars, as in `context: {cluster: a, user: b}`.
    const items = flow[2].split(",").map((x) => x.trim()).filter((x) => x !== "");
    if (flow[1] === "[") return items.map((x) => scalar(x, no));
    return Object.fromEntries(items.map((x) => splitKey(x, no)).map(([k, v]) => [k, scalar(v, no)]));
  }
  if (/^[[{&*!|>]/.test(s)) throw new Error(`kubeconfig line ${no}: unsupported YAML (${s.slice(0, 20)}); use kubectl config view --raw -o json`);
  return s;
}

function stripComment(s: string): string {
  let quote = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = "";
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(s[i - 1]))) return s.slice(0, i);
  }
  return s;
}

function splitKey(text: string, no: number): [string, string] {
  const m = /^("(?:[^"\\]|\\.)*"|'[^']*'|[^:'"][^:]*?):(?:\s+(.*))?$/.exec(text);
  if (!m) throw new Error(`kubeconfig line ${no}: expected "key: value", got ${JSON.stringify(text.slice(0, 40))}`);
  return [String(scalar(m[1], no)), m[2] ?? ""];
}

function parseBlock(lines: Line[], start: number, indent: number): [Node, number] {
  if (start >= lines.length) return [null, start];
  if (lines[start].text.startsWith("- ") || lines[start].text === "-") {
    const out: Node[] = [];
    let i = start;
    while (i < lines.length && lines[i].indent === indent && (lines[i].text.startsWith("- ") || lines[i].text === "-")) {
      const rest = lines[i].text.slice(1).trimStart();
      if (rest === "") {
        const [v, next] = parseBlock(lines, i + 1, lines[i + 1]?.indent ?? indent + 2);
        out.push(v);
        i = next;
      } else if (/^[^'"]*?:(\s|$)/.test(rest) || /^("[^"]*"|'[^']*'):(\s|$)/.test(rest)) {
        // "- key: value" starts a mapping whose other keys sit at the column after "- ".
        const inner = indent + (lines[i].text.length - rest.length);
        const sub: Line[] = [{ indent: inner, text: rest, no: lines[i].no }];
        let j = i + 1;
        while (j < lines.length && lines[j].indent >= inner) sub.push(lines[j++]);
        const [v] = parseBlock(sub, 0, inner);
        out.push(v);
        i = j;
      } else {
        out.push(scalar(rest, lines[i].no));
        i++;
      }
    }
    return [out, i];
  }
  const out: Record<string, Node> = {};
  let i = start;
  while (i < lines.length && lines[i].indent === indent) {
    const [key, rest] = splitKey(lines[i].text, lines[i].no);
    if (rest.trim() === "") {
      const next = lines[i + 1];
      if (next && (next.indent > indent || (next.indent === indent && next.text.startsWith("- ")))) {
        const [v, j] = parseBlock(lines, i + 1, next.indent);
        out[key] = v;
        i = j;
        continue;
      }
      out[key] = null;
    } else out[key] = scalar(rest, lines[i].no);
    i++;
  }
  if (i < lines.length && lines[i].indent > indent) throw new Error(`kubeconfig line ${lines[i].no}: unexpected indentation`);
  return [out, i];
}

/** Parses a kubeconfig written in block-style YAML. */
export function parseKubeconfigYaml(text: string): Node {
  const lines: Line[] = [];
  text.split(/\r?\n/).forEach((raw, idx) => {
    if (raw.includes("\t") && /^\s*\t/.test(raw)) throw new Error(`kubeconfig line ${idx + 1}: tab indentation`);
    const body = stripComment(raw).trimEnd();
    if (body.trim() === "" || body.trim() === "---") return;
    lines.push({ indent: body.length - body.trimStart().length, text: body.trimStart(), no: idx + 1 });
  });
  if (lines.length === 0) return null;
  const [node, end] = parseBlock(lines, 0, lines[0].indent);
  if (end < lines.length) throw new Error(`kubeconfig line ${lines[end].no}: unexpected indentation`);
  return node;
}
