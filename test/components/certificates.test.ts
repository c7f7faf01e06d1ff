import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CHARTS } from "../../components/catalog";
import {
  acmeIssuerSpec,
  caIssuerSpec,
  Certificates,
  clusterIssuerName,
  ISSUER_NAMES,
  renderCertManagerValues,
  rootCaCertificateSpec,
  type CertificatesSettings,
} from "../../components/certificates";
import { validateAll } from "../helpers/validate";
import { recordResources } from "../helpers/program";
import { TYPES } from "../../tools/types";
import { configMapMarker, fakeCluster, fakeIngress, fakeNetwork } from "../helpers/layers";


describe("cert-manager values and issuer specs", () => {
  it("installs CRDs with crds.enabled, not the deprecated installCRDs", () => {
    const v = renderCertManagerValues() as any;
    assert.deepEqual(v.crds, { enabled: true, keep: true });
    assert.equal("installCRDs" in v, false);
  });

  it("self-signs one ECDSA root CA that the CA issuer then signs with", () => {
    const ca = rootCaCertificateSpec() as any;
    assert.equal(ca.isCA, true);
    assert.equal(ca.secretName, ISSUER_NAMES.caCertificate);
    assert.deepEqual(ca.issuerRef, { name: ISSUER_NAMES.selfSignedRoot, kind: "ClusterIssuer", group: "cert-manager.io" });
    assert.deepEqual(ca.privateKey, { algorithm: "ECDSA", size: 256, rotationPolicy: "Never" });
    assert.deepEqual(caIssuerSpec(), { ca: { secretName: ISSUER_NAMES.caCertificate } });
  });

  it("solves ACME HTTP-01 through the default IngressClass", () => {
    const spec = acmeIssuerSpec({ email: "ops@agents.example.org", server: "https://acme-staging-v02.api.letsencrypt.org/directory" }, "contour") as any;
    assert.equal(spec.acme.email, "ops@agents.example.org");
    assert.equal(spec.acme.server, "https://acme-staging-v02.api.letsencrypt.org/directory");
    assert.deepEqual(spec.acme.privateKeySecretRef, { name: ISSUER_NAMES.acmeAccountKey });
    assert.deepEqual(spec.acme.solvers, [{ http01: { ingress: { ingressClassName: "contour" } } }]);
  });

  for (const [issuer, name] of [
    ["selfSigned", "platform-ca"],
    ["acme", "platform-acme"],
  ] as const) {
    it(`hands Ingresses the ${name} ClusterIssuer for issuer ${issuer}`, () => {
      assert.equal(clusterIssuerName(issuer), name);
    });
  }
});

function layers() {
  const cluster = fakeCluster();
  const m = configMapMarker(cluster.provider);
  return { cluster, network: fakeNetwork([m("cni")]), ingress: fakeIngress({ ready: [m("controller")] }) };
}

describe("Certificates component", () => {
  it("installs the pinned cert-manager in a restricted namespace after the CNI", async () => {
    const run = await recordResources(() => {
      new Certificates("certs", { ...layers(), settings: { issuer: "selfSigned", values: { replicaCount: 2 } } });
      return {};
    });
    const r = run.get(TYPES.release, "certs-cert-manager");
    assert.equal(r.inputs.chart, CHARTS.certManager.chart);
    assert.equal(r.inputs.version, CHARTS.certManager.version);
    assert.equal(r.inputs.repositoryOpts.repo, CHARTS.certManager.repo);
    assert.equal(r.inputs.namespace, "cert-manager");
    assert.equal(r.inputs.values.crds.enabled, true);
    assert.equal(r.inputs.values.replicaCount, 2);
    assert.equal(r.inputs.skipAwait, false, "the release must wait for the webhook");
    assert.ok(run.dependsOn(`${TYPES.release}::certs-cert-manager`, `${TYPES.configMap}::cni`));
    const ns = run.get("kubernetes:core/v1:Namespace", "certs-ns");
    assert.equal(ns.inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
  });

  it("chains the dev CA: release -> self-signed root -> CA certificate -> CA issuer, each awaited Ready", async () => {
    let layer: Certificates | undefined;
    const run = await recordResources(() => {
      layer = new Certificates("certs", { ...layers(), settings: { issuer: "selfSigned", values: {} } });
      return {};
    });
    const root = run.get(TYPES.clusterIssuer, "certs-selfsigned-root");
    const cert = run.get(TYPES.certificate, "certs-root-ca");
    const ca = run.get(TYPES.clusterIssuer, "certs-ca-issuer");
    assert.deepEqual(root.inputs.spec, { selfSigned: {} });
    assert.equal(cert.inputs.metadata.namespace, "cert-manager");
    assert.equal(ca.inputs.metadata.name, "platform-ca");
    for (const r of [root, cert, ca]) assert.equal(r.inputs.metadata.annotations["pulumi.com/waitFor"], "condition=Ready");
    assert.ok(run.dependsOn(`${TYPES.clusterIssuer}::certs-selfsigned-root`, `${TYPES.release}::certs-cert-manager`));
    assert.ok(run.dependsOn(`${TYPES.certificate}::certs-root-ca`, `${TYPES.clusterIssuer}::certs-selfsigned-root`));
    assert.ok(run.dependsOn(`${TYPES.clusterIssuer}::certs-ca-issuer`, `${TYPES.certificate}::certs-root-ca`));
    assert.equal(run.dependsOn(`${TYPES.clusterIssuer}::certs-ca-issuer`, `${TYPES.configMap}::controller`), false, "a local CA needs no ingress controller");
    assert.equal(run.ofType(TYPES.clusterIssuer).some((r) => r.inputs.spec.acme), false);
    assert.deepEqual(await validateAll(run.resources), [], "issuers and the CA certificate match cert-manager's schemas");
    assert.equal(layer!.clusterIssuer, "platform-ca");
    assert.deepEqual(layer!.caSecret, { namespace: "cert-manager", name: "platform-root-ca" });
    assert.equal(layer!.ready.length, 2);
  });

  it("creates the ACME issuer after both cert-manager and the default ingress controller", async () => {
    let layer: Certificates | undefined;
    const settings: CertificatesSettings = {
      issuer: "acme",
      acme: { email: "ops@agents.example.org", server: "https://acme-v02.api.letsencrypt.org/directory" },
      values: {},
    };
    const run = await recordResources(() => {
      layer = new Certificates("certs", { ...layers(), settings });
      return {};
    });
    const acme = run.get(TYPES.clusterIssuer, "certs-acme-issuer");
    assert.equal(acme.inputs.metadata.name, "platform-acme");
    assert.equal(acme.inputs.spec.acme.solvers[0].http01.ingress.ingressClassName, "contour");
    assert.ok(run.dependsOn(`${TYPES.clusterIssuer}::certs-acme-issuer`, `${TYPES.release}::certs-cert-manager`));
    assert.ok(run.dependsOn(`${TYPES.clusterIssuer}::certs-acme-issuer`, `${TYPES.configMap}::controller`));
    assert.equal(run.ofType(TYPES.certificate).length, 0, "no local CA in ACME mode");
    assert.deepEqual(await validateAll(run.resources), []);
    assert.equal(layer!.clusterIssuer, "platform-acme");
    assert.equal(layer!.caSecret, undefined);
  });
});
