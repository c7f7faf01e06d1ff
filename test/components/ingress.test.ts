import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CHARTS } from "../../components/catalog";
import {
  bindsKindHostPorts,
  defaultController,
  Ingress,
  renderContourValues,
  renderIngressNginxValues,
  renderTlsIngress,
  tlsIngress,
  type IngressSettings,
} from "../../components/ingress";
import { validateAll } from "../helpers/validate";
import { recordResources } from "../helpers/program";
import { TYPES } from "../../tools/types";
import { configMapMarker, fakeCertificates, fakeCluster, fakeIngress, fakeNetwork, fakeProvider } from "../helpers/layers";


const contourOnly: IngressSettings = {
  contour: { enabled: true, default: true, values: {} },
  ingressNginx: { enabled: false, default: false, values: {} },
};
const both: IngressSettings = {
  contour: { enabled: true, default: false, values: {} },
  ingressNginx: { enabled: true, default: true, values: { controller: { replicaCount: 2 } } },
};

describe("ingress controller values", () => {
  it("makes Contour's IngressClass `contour` and default only when configured", () => {
    for (const isDefault of [true, false]) {
      const v = renderContourValues({ clusterMode: "existing", isDefault }) as any;
      assert.deepEqual(v.contour.ingressClass, { name: "contour", create: true, default: isDefault });
    }
  });

  it("binds Envoy to kind's mapped host ports on the ingress-ready control plane", () => {
    const v = renderContourValues({ clusterMode: "kind", isDefault: true }) as any;
    assert.deepEqual(v.envoy.useHostPort, { http: true, https: true, metrics: false });
    assert.deepEqual(v.envoy.hostPorts, { http: 80, https: 443 });
    assert.deepEqual(v.envoy.nodeSelector, { "ingress-ready": "true" });
    assert.deepEqual(v.envoy.tolerations, [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }]);
    assert.equal(v.envoy.service.type, "NodePort");
    assert.equal(v.contour.ingressStatusAddress, "127.0.0.1");
  });

  it("gives Envoy a LoadBalancer and no host ports on existing clusters", () => {
    const v = renderContourValues({ clusterMode: "existing", isDefault: true }) as any;
    assert.equal(v.envoy.service.type, "LoadBalancer");
    assert.equal(v.envoy.useHostPort, undefined);
    assert.equal(v.envoy.nodeSelector, undefined);
    assert.equal(v.contour.ingressStatusAddress, undefined);
  });

  it("leaves Gateway API CRDs to the mesh layer", () => {
    assert.deepEqual((renderContourValues({ clusterMode: "kind", isDefault: true }) as any).gatewayAPI, { manageCRDs: false });
  });

  it("sets up ingress-nginx on kind as kind's guide does", () => {
    const c = (renderIngressNginxValues({ clusterMode: "kind", isDefault: true }) as any).controller;
    assert.deepEqual(c.hostPort, { enabled: true });
    assert.equal(c.watchIngressWithoutClass, true);
    assert.deepEqual(c.nodeSelector, { "kubernetes.io/os": "linux", "ingress-ready": "true" });
    assert.deepEqual(c.tolerations, [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }]);
    assert.deepEqual(c.ingressClassResource, { name: "nginx", enabled: true, default: true });
    assert.deepEqual(c.extraArgs, { "publish-status-address": "localhost" });
  });

  it("keeps a non-default ingress-nginx off kind's host ports and off class-less Ingresses", () => {
    const c = (renderIngressNginxValues({ clusterMode: "kind", isDefault: false }) as any).controller;
    assert.equal(c.hostPort, undefined);
    assert.equal(c.watchIngressWithoutClass, false);
    assert.equal(c.ingressClassResource.default, false);
  });

  for (const [mode, isDefault, binds] of [
    ["kind", true, true],
    ["kind", false, false],
    ["existing", true, false],
    ["existing", false, false],
  ] as const) {
    it(`${binds ? "binds" : "does not bind"} host ports for a ${isDefault ? "default" : "second"} controller on ${mode}`, () => {
      assert.equal(bindsKindHostPorts({ clusterMode: mode, isDefault }), binds);
    });
  }

  const defaults: [string, IngressSettings, string | RegExp][] = [
    ["Contour alone", contourOnly, "contour"],
    ["ingress-nginx as the default next to Contour", both, "ingressNginx"],
    ["no default", { ...contourOnly, contour: { ...contourOnly.contour, default: false } }, /no enabled controller is the default/],
    ["two defaults", { ...both, contour: { ...both.contour, default: true } }, /contour and ingressNginx are both the default/],
    ["a disabled default", { contour: { ...contourOnly.contour, default: false }, ingressNginx: { enabled: false, default: true, values: {} } }, /no enabled controller/],
  ];
  for (const [label, s, want] of defaults) {
    it(`picks the default IngressClass: ${label}`, () => {
      const r = defaultController(s);
      if (typeof want === "string") assert.deepEqual(r, { ok: true, controller: want });
      else assert.ok(!r.ok && want.test(r.message), JSON.stringify(r));
    });
  }
});

describe("tlsIngress", () => {
  const args = { namespace: "monitoring", name: "grafana", host: "grafana.agents.example.org", service: { name: "grafana-service", port: 3000 } };

  it("renders the class, a TLS section for the host and the ClusterIssuer annotation", () => {
    const ing = renderTlsIngress(args, "platform-acme", "contour") as any;
    assert.equal(ing.metadata.name, "grafana");
    assert.equal(ing.metadata.namespace, "monitoring");
    assert.equal(ing.metadata.annotations["cert-manager.io/cluster-issuer"], "platform-acme");
    assert.equal(ing.metadata.annotations["ingress.kubernetes.io/force-ssl-redirect"], "true", "plain HTTP redirects to HTTPS");
    assert.equal(ing.spec.ingressClassName, "contour");
    assert.deepEqual(ing.spec.tls, [{ hosts: ["grafana.agents.example.org"], secretName: "grafana-tls" }]);
    assert.deepEqual(ing.spec.rules, [
      {
        host: "grafana.agents.example.org",
        http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "grafana-service", port: { number: 3000 } } } }] },
      },
    ]);
  });

  it("takes a named port, a path, a secret name and extra annotations, but never lets them replace the issuer", () => {
    const ing = renderTlsIngress(
      {
        ...args,
        service: { name: "openhands", port: "http" },
        path: "/api",
        tlsSecretName: "wildcard-tls",
        annotations: { "cert-manager.io/cluster-issuer": "other", "projectcontour.io/websocket-routes": "/" },
      },
      "platform-ca",
      "nginx",
    ) as any;
    assert.deepEqual(ing.spec.rules[0].http.paths[0].backend.service.port, { name: "http" });
    assert.equal(ing.spec.rules[0].http.paths[0].path, "/api");
    assert.equal(ing.spec.tls[0].secretName, "wildcard-tls");
    assert.equal(ing.metadata.annotations["cert-manager.io/cluster-issuer"], "platform-ca");
    assert.equal(ing.metadata.annotations["projectcontour.io/websocket-routes"], "/");
    assert.equal(ing.metadata.annotations["nginx.ingress.kubernetes.io/force-ssl-redirect"], "true", "plain HTTP redirects to HTTPS");
  });

  it("creates the Ingress under its parent's provider, after the issuer, the controller and extra dependencies", async () => {
    const run = await recordResources(() => {
      const provider = fakeProvider();
      const m = configMapMarker(provider);
      const parent = m("parent");
      tlsIngress("grafana-ingress", args, fakeCertificates({ ready: [m("issuer")] }), fakeIngress({ ready: [m("controller")] }), parent, {
        dependsOn: [m("grafana-release")],
        provider,
      });
      return {};
    });
    const from = `${TYPES.ingress}::grafana-ingress`;
    for (const to of ["issuer", "controller", "grafana-release"]) assert.ok(run.dependsOn(from, `${TYPES.configMap}::${to}`), to);
    assert.deepEqual(await validateAll(run.resources), []);
    assert.equal(run.get(TYPES.ingress, "grafana-ingress").parent, `${TYPES.configMap}::parent`);
  });
});

describe("Ingress component", () => {
  it("installs the pinned Contour chart in its namespace after the CNI, and names its class", async () => {
    let layer: Ingress | undefined;
    const run = await recordResources(() => {
      const cluster = fakeCluster();
      const cni = configMapMarker(cluster.provider)("cni");
      layer = new Ingress("ingress", { cluster, network: fakeNetwork([cni]), clusterMode: "kind", settings: contourOnly });
      return {};
    });
    const r = run.get(TYPES.release, "ingress-contour");
    assert.equal(r.inputs.chart, CHARTS.contour.chart);
    assert.equal(r.inputs.version, CHARTS.contour.version);
    assert.equal(r.inputs.namespace, "projectcontour");
    assert.equal(r.inputs.values.contour.ingressClass.default, true);
    assert.equal(r.inputs.values.envoy.useHostPort.http, true);
    assert.ok(run.dependsOn(`${TYPES.release}::ingress-contour`, `${TYPES.configMap}::cni`));
    assert.ok(run.dependsOn(`${TYPES.release}::ingress-contour`, `${TYPES.namespace}::ingress-contour-ns`));
    const ns = run.get(TYPES.namespace, "ingress-contour-ns");
    assert.equal(ns.inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "privileged", "kind's host ports need privileged");
    assert.equal(run.ofType(TYPES.release).length, 1, "ingress-nginx stays off unless enabled");
    assert.equal(layer!.className, "contour");
    assert.equal(layer!.ready.length, 1);
  });

  it("adds ingress-nginx when enabled, with the stack's overrides, and uses its class when it is the default", async () => {
    let layer: Ingress | undefined;
    const run = await recordResources(() => {
      layer = new Ingress("ingress", { cluster: fakeCluster(), network: fakeNetwork(), clusterMode: "existing", settings: both });
      return {};
    });
    const nginx = run.get(TYPES.release, "ingress-ingress-nginx");
    assert.equal(nginx.inputs.chart, CHARTS.ingressNginx.chart);
    assert.equal(nginx.inputs.version, CHARTS.ingressNginx.version);
    assert.equal(nginx.inputs.namespace, "ingress-nginx");
    assert.equal(nginx.inputs.values.controller.replicaCount, 2);
    assert.equal(nginx.inputs.values.controller.ingressClassResource.default, true);
    assert.equal(run.get(TYPES.release, "ingress-contour").inputs.values.contour.ingressClass.default, false);
    assert.equal(run.get(TYPES.namespace, "ingress-contour-ns").inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "baseline");
    assert.equal(layer!.className, "nginx");
    assert.equal(layer!.ready.length, 2);
  });
});
