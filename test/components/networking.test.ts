import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CHARTS } from "../../components/catalog";
import type { ClusterLayer } from "../../components/contracts";
import { apiServerProblem, HubbleUiIngress, hubbleHost, Networking, renderCiliumValues, replacesKubeProxy, type CiliumSettings, type CiliumValuesInput } from "../../components/networking";
import * as pulumi from "@pulumi/pulumi";
import { validateAll } from "../helpers/validate";
import { recordResources } from "../helpers/program";
import { TYPES } from "../../tools/types";
import * as layers from "../helpers/layers";


const settings: CiliumSettings = {
  enabled: true,
  mode: "cni",
  hubble: { enabled: true, metrics: ["dns", "drop", "tcp", "flow", "icmp", "http"], ui: true, uiIngress: false },
  values: {},
};
const kindInput: CiliumValuesInput = {
  settings,
  clusterMode: "kind",
  apiServer: { host: "local-hands-control-plane", port: 6443 },
  mesh: { kind: "none" },
};

function fakeCluster(apiServer: ClusterLayer["apiServer"] = { host: "api.example.internal", port: 443 }): ClusterLayer {
  return layers.fakeCluster({ apiServer });
}

describe("Cilium values", () => {
  it("replaces kube-proxy with the documented 'true', never the removed 'strict'", () => {
    const v = renderCiliumValues(kindInput);
    assert.equal(v.kubeProxyReplacement, "true");
    assert.notEqual(v.kubeProxyReplacement, "strict");
  });

  it("uses Kubernetes IPAM, maglev + SNAT load balancing and the bandwidth manager", () => {
    const v = renderCiliumValues(kindInput);
    assert.deepEqual(v.ipam, { mode: "kubernetes" });
    assert.deepEqual(v.loadBalancer, { algorithm: "maglev", mode: "snat" });
    assert.deepEqual(v.bandwidthManager, { enabled: true });
  });

  for (const [mode, apiServer, replicas] of [
    ["kind", { host: "local-hands-control-plane", port: 6443 }, 1],
    ["existing", { host: "ABCDEF.gr7.us-east-1.eks.amazonaws.com", port: 443 }, 2],
  ] as const) {
    it(`points the agent at the API server and sizes the operator for ${mode} clusters`, () => {
      const v = renderCiliumValues({ ...kindInput, clusterMode: mode, apiServer });
      assert.equal(v.k8sServiceHost, apiServer.host);
      assert.equal(v.k8sServicePort, apiServer.port);
      assert.deepEqual(v.operator, { replicas });
    });
  }

  it("enables Hubble with relay, UI, the configured metrics and cronJob TLS (not the churning helm method)", () => {
    const v = renderCiliumValues(kindInput) as any;
    assert.equal(v.hubble.enabled, true);
    assert.deepEqual(v.hubble.metrics.enabled, ["dns", "drop", "tcp", "flow", "icmp", "http"]);
    assert.equal(v.hubble.relay.enabled, true);
    assert.equal(v.hubble.ui.enabled, true);
    assert.deepEqual(v.hubble.tls.auto, { enabled: true, method: "cronJob" });
  });

  it("turns Hubble metrics, relay and UI off with Hubble", () => {
    const v = renderCiliumValues({ ...kindInput, settings: { ...settings, hubble: { ...settings.hubble, enabled: false } } }) as any;
    assert.equal(v.hubble.enabled, false);
    assert.equal(v.hubble.metrics.enabled, null);
    assert.equal(v.hubble.relay.enabled, false);
    assert.equal(v.hubble.ui.enabled, false);
  });

  it("keeps the UI off when only the UI is disabled", () => {
    const v = renderCiliumValues({ ...kindInput, settings: { ...settings, hubble: { ...settings.hubble, ui: false } } }) as any;
    assert.equal(v.hubble.ui.enabled, false);
    assert.equal(v.hubble.relay.enabled, true);
  });

  const meshCases: [string, CiliumValuesInput["mesh"], boolean | undefined, boolean][] = [
    ["no mesh", { kind: "none" }, undefined, true],
    ["Istio, whose CNI agent chains by default", { kind: "istio" }, true, false],
    ["Linkerd, whose linkerd-cni chains by default", { kind: "linkerd" }, true, false],
    ["Istio with Istio CNI", { kind: "istio", cniChaining: true }, true, false],
    ["Linkerd with linkerd-cni", { kind: "linkerd", cniChaining: true }, true, false],
    ["Istio with sidecar init containers (opted out of chaining)", { kind: "istio", cniChaining: false }, true, true],
    ["Linkerd with linkerd-init (opted out of chaining)", { kind: "linkerd", cniChaining: false }, true, true],
    ["no mesh (chaining flag ignored)", { kind: "none", cniChaining: true }, undefined, true],
  ];
  for (const [label, mesh, hostNamespaceOnly, exclusive] of meshCases) {
    it(`sets socket LB and CNI exclusivity for ${label}`, () => {
      const v = renderCiliumValues({ ...kindInput, mesh }) as any;
      assert.equal(v.socketLB?.hostNamespaceOnly, hostNamespaceOnly);
      assert.equal(v.cni.exclusive, exclusive);
    });
  }

  it("renders identical values for identical input", () => {
    assert.deepEqual(renderCiliumValues(kindInput), renderCiliumValues(structuredClone(kindInput)));
  });

  // Cilium 1.20's own guides: kind/kubeadm, "AWS ENI", "AWS VPC CNI plugin" (chaining).
  const eks = { ...kindInput, clusterMode: "existing" as const, apiServer: { host: "ABCDEF.gr7.us-east-1.eks.amazonaws.com", port: 443 } };
  for (const [mode, expect, absent] of [
    ["cni", { ipam: { mode: "kubernetes" }, kubeProxyReplacement: "true", cni: { exclusive: true } }, ["eni", "routingMode", "enableIPv4Masquerade"]],
    [
      "eni",
      { eni: { enabled: true }, ipam: { mode: "eni" }, routingMode: "native", egressMasqueradeInterfaces: "eth+", kubeProxyReplacement: "true", cni: { exclusive: true } },
      ["enableIPv4Masquerade", "endpointRoutes"],
    ],
    [
      "chained",
      { cni: { chainingMode: "aws-cni", exclusive: false }, enableIPv4Masquerade: false, routingMode: "native", endpointRoutes: { enabled: true } },
      ["ipam", "eni", "kubeProxyReplacement", "loadBalancer", "bandwidthManager"],
    ],
  ] as const) {
    it(`renders mode ${mode} as Cilium's guide for it says`, () => {
      const v = renderCiliumValues({ ...eks, settings: { ...settings, mode } });
      for (const [k, want] of Object.entries(expect)) assert.deepEqual(v[k], want, k);
      for (const k of absent) assert.equal(k in v, false, `${k} is not set in mode ${mode}`);
      assert.equal(v.k8sServiceHost, eks.apiServer.host, "the API server is explicit in every mode (no cluster-info lookup)");
    });
  }

  it("keeps aws-node's CNI configuration in chained mode even without a mesh, and with one", () => {
    for (const kind of ["none", "istio"] as const) {
      const v = renderCiliumValues({ ...eks, settings: { ...settings, mode: "chained" }, mesh: { kind } }) as any;
      assert.deepEqual(v.cni, { chainingMode: "aws-cni", exclusive: false }, kind);
    }
  });

  it("replaces kube-proxy in modes cni and eni only, and never without Cilium", () => {
    assert.equal(replacesKubeProxy({ enabled: true, mode: "cni" }), true);
    assert.equal(replacesKubeProxy({ enabled: true, mode: "eni" }), true);
    assert.equal(replacesKubeProxy({ enabled: true, mode: "chained" }), false);
    assert.equal(replacesKubeProxy({ enabled: false, mode: "cni" }), false);
  });

  for (const [api, ok] of [
    [{ host: "local-hands-control-plane", port: 6443 }, true],
    [{ host: "10.0.0.1", port: 443 }, true],
    [{ host: "", port: 443 }, false],
    [{ host: "api.example.internal", port: 0 }, false],
    [{ host: "api.example.internal", port: 70000 }, false],
  ] as const) {
    it(`${ok ? "accepts" : "rejects"} API server address ${JSON.stringify(api)}`, () => {
      const problem = apiServerProblem(api);
      if (ok) assert.equal(problem, undefined);
      else assert.match(problem ?? "", /^cluster.apiServer: .* is not an address/);
    });
  }

  it("names the Hubble host under the platform domain", () => {
    assert.equal(hubbleHost("agents.example.org"), "hubble.agents.example.org");
  });
});

describe("Networking component", () => {
  it("installs the pinned Cilium chart in kube-system with the rendered values and the stack's overrides", async () => {
    let layer: Networking | undefined;
    const run = await recordResources(() => {
      layer = new Networking("network", {
        cluster: fakeCluster({ host: "local-hands-control-plane", port: 6443 }),
        clusterMode: "kind",
        settings: { ...settings, values: { hubble: { relay: { replicas: 2 } } } },
        mesh: { kind: "linkerd" },
      });
      return {};
    });
    const r = run.get(TYPES.release, "network-cilium");
    assert.equal(r.inputs.chart, CHARTS.cilium.chart);
    assert.equal(r.inputs.version, CHARTS.cilium.version);
    assert.equal(r.inputs.repositoryOpts.repo, CHARTS.cilium.repo);
    assert.equal(r.inputs.namespace, "kube-system");
    assert.equal(r.inputs.values.k8sServiceHost, "local-hands-control-plane");
    assert.equal(r.inputs.values.socketLB.hostNamespaceOnly, true);
    assert.equal(r.inputs.values.cni.exclusive, false, "Cilium leaves linkerd-cni's chained config in place");
    assert.equal(r.inputs.values.hubble.relay.replicas, 2);
    assert.equal(r.inputs.values.hubble.relay.enabled, true);
    assert.ok(r.provider?.includes("fake"), "the release uses the cluster's provider");
    assert.equal(run.ofType("kubernetes:core/v1:Namespace").length, 0, "kube-system is not created");
    assert.equal(layer!.ready.length, 1);
  });

  it("takes the API server address from an Output (the kubeconfig of an existing cluster)", async () => {
    const run = await recordResources(() => {
      new Networking("network", {
        cluster: fakeCluster(pulumi.output({ host: "ABCDEF.gr7.us-east-1.eks.amazonaws.com", port: 443 })),
        clusterMode: "existing",
        settings: { ...settings, mode: "chained" },
        mesh: { kind: "istio" },
      });
      return {};
    });
    const v = run.get(TYPES.release, "network-cilium").inputs.values;
    assert.equal(v.k8sServiceHost, "ABCDEF.gr7.us-east-1.eks.amazonaws.com");
    assert.equal(v.k8sServicePort, 443);
    assert.equal(v.cni.chainingMode, "aws-cni");
  });

  it("refuses an EKS mode on a kind cluster", async () => {
    let error: unknown;
    await recordResources(() => {
      try {
        new Networking("network", { cluster: fakeCluster(), clusterMode: "kind", settings: { ...settings, mode: "eni" }, mesh: { kind: "none" } });
      } catch (e) {
        error = e;
      }
      return {};
    });
    assert.ok(error instanceof pulumi.ResourceError);
    assert.equal((error as Error).message, `settings.mode: "eni" is for EKS; a kind cluster has no other CNI, so Cilium runs in mode "cni"`);
  });

  it("registers nothing and exposes an empty ready list when Cilium is disabled", async () => {
    let layer: Networking | undefined;
    const run = await recordResources(() => {
      layer = new Networking("network", { cluster: fakeCluster(), clusterMode: "existing", settings: { ...settings, enabled: false }, mesh: { kind: "none" } });
      return {};
    });
    assert.deepEqual(layer!.ready, []);
    assert.equal(run.ofType(TYPES.release).length, 0);
  });
});

describe("Hubble UI ingress", () => {
  it("serves hubble.<domain> over TLS from the platform issuer, after Cilium, the issuer and the controller", async () => {
    let hubble: HubbleUiIngress | undefined;
    const run = await recordResources(() => {
      const cluster = fakeCluster();
      const network = new Networking("network", { cluster, clusterMode: "existing", settings, mesh: { kind: "none" } });
      const marker = layers.configMapMarker(cluster.provider);
      const certificates = layers.fakeCertificates({ ready: [marker("issuer")] });
      const ingress = layers.fakeIngress({ ready: [marker("controller")] });
      hubble = new HubbleUiIngress("hubble", { cluster, network, ingress, certificates, domain: "agents.example.org" });
      return {};
    });
    const ing = run.get(TYPES.ingress, "hubble-ingress");
    assert.equal(ing.inputs.metadata.namespace, "kube-system");
    assert.equal(ing.inputs.metadata.annotations["cert-manager.io/cluster-issuer"], "platform-ca");
    assert.equal(ing.inputs.spec.ingressClassName, "contour");
    assert.deepEqual(ing.inputs.spec.tls, [{ hosts: ["hubble.agents.example.org"], secretName: "hubble-ui-tls" }]);
    assert.deepEqual(ing.inputs.spec.rules[0].http.paths[0].backend, { service: { name: "hubble-ui", port: { number: 80 } } });
    assert.ok(run.dependsOn(`${TYPES.ingress}::hubble-ingress`, `${TYPES.release}::network-cilium`));
    assert.ok(run.dependsOn(`${TYPES.ingress}::hubble-ingress`, "kubernetes:core/v1:ConfigMap::issuer"));
    assert.ok(run.dependsOn(`${TYPES.ingress}::hubble-ingress`, "kubernetes:core/v1:ConfigMap::controller"));
    assert.deepEqual(await validateAll(run.resources), []);
    assert.equal(hubble!.url, "https://hubble.agents.example.org");
  });
});
