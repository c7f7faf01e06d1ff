import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { baseFromRuntimeId, childNames, MAX_SESSION_PART, sessionBase, sessionPart, warmBase } from "../../sandbox-runtime/src/names";

const hash6 = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 6);
const DNS_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

describe("sandbox names", () => {
  it("lowercases an app session id and uses it unchanged otherwise", () => {
    assert.equal(sessionPart("AbCdEfGhIjKlMnOpQrStUv"), "abcdefghijklmnopqrstuv");
    assert.equal(sessionBase("AbCdEfGhIjKlMnOpQrStUv"), "openhands-runtime-abcdefghijklmnopqrstuv");
  });

  it("names every object after the pod as the design does", () => {
    assert.deepEqual(childNames("openhands-runtime-abc"), {
      pod: "openhands-runtime-abc",
      service: "openhands-runtime-abc-svc",
      codeService: "openhands-runtime-abc-svc-code",
      ingress: "openhands-runtime-abc-ingress-code",
      pvc: "openhands-runtime-abc-pvc",
      secret: "openhands-runtime-abc-key",
    });
  });

  const cases: Array<[string, string]> = [
    ["a".repeat(33), `${"a".repeat(25)}-${hash6("a".repeat(33))}`],
    ["Hello_World", `hello-world-${hash6("Hello_World")}`],
    ["--x--", `x-${hash6("--x--")}`],
    ["___", `s-${hash6("___")}`],
    ["ÄÖÜ-session", `session-${hash6("ÄÖÜ-session")}`],
  ];
  for (const [id, part] of cases) {
    it(`folds ${JSON.stringify(id)} into a DNS label with a hash of the id`, () => {
      assert.equal(sessionPart(id), part);
    });
  }

  it("keeps the longest child name within a 63-character DNS-1035 label for any id", () => {
    for (const id of ["x".repeat(300), "A".repeat(32), "0abc", "a-b_c.d/e", "-", "Z".repeat(22)]) {
      const part = sessionPart(id);
      assert.ok(part.length <= MAX_SESSION_PART, part);
      for (const name of Object.values(childNames(sessionBase(id)))) {
        assert.ok(name.length <= 63, `${name} (${name.length})`);
        assert.match(name, DNS_1035);
      }
      assert.match(part, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "the first label of the sandbox host");
    }
  });

  it("gives ids that differ only in characters it folds different names", () => {
    assert.notEqual(sessionPart("a_b"), sessionPart("a.b"));
    assert.notEqual(sessionPart("a_b"), sessionPart("a-b"));
  });

  it("accepts only its own base names as runtime ids", () => {
    assert.equal(baseFromRuntimeId("openhands-runtime-abc"), "openhands-runtime-abc");
    assert.equal(baseFromRuntimeId("openhands-runtime-ABC"), undefined);
    assert.equal(baseFromRuntimeId("kube-system-thing"), undefined);
    assert.equal(baseFromRuntimeId("openhands-runtime-../x"), undefined);
  });

  it("makes warm names that fit the same limits", () => {
    const b = warmBase();
    assert.match(b, /^openhands-runtime-warm-[0-9a-f]{10}$/);
    assert.ok(childNames(b).ingress.length <= 63);
  });
});
