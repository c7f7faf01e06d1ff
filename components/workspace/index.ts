import type * as k8s from "@pulumi/kubernetes";
import * as kx from "@pulumi/kubernetesx";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterLayer, NetworkLayer } from "../contracts";

/** Arguments of {@link Workspace}. */
export interface WorkspaceArgs {
  cluster: ClusterLayer;
  /** The CNI: the workspace is a pod. */
  network: NetworkLayer;
  /** Namespace it runs in (created by the caller). */
  namespace: pulumi.Input<string>;
  /** Container image, pinned. */
  image: string;
}

/** The design's `ubuntu-dev` workspace: container port 3000, Service port 8099. */
export const WORKSPACE = {
  name: "ubuntu-dev",
  containerPort: 3000,
  servicePort: 8099,
  // The namespace enforces requests and a memory limit on every container.
  resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "2Gi" } },
} as const;

/**
 * The design's `ubuntu-dev` workspace, built with @pulumi/kubernetesx: a PodBuilder for the
 * pod, a kx.Deployment and a kx.Service mapping port 8099 to the container's 3000. The
 * default image is OpenVSCode Server (Ubuntu-based, serves on 3000); reach it with
 * `kubectl port-forward svc/ubuntu-dev 8099`.
 */
export class Workspace extends pulumi.ComponentResource {
  /** In-cluster URL of the workspace. */
  public readonly url: pulumi.Output<string>;
  public readonly deployment: k8s.apps.v1.Deployment;
  public readonly service: k8s.core.v1.Service;

  constructor(name: string, args: WorkspaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:workspace:Workspace", name, {}, { ...opts, providers: { kubernetes: args.cluster.provider } });
    const pod = new kx.PodBuilder({
      securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
      containers: [
        {
          name: WORKSPACE.name,
          image: args.image,
          ports: [{ name: "http", containerPort: WORKSPACE.containerPort }],
          resources: WORKSPACE.resources,
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
        },
      ],
    });
    const labels = { app: WORKSPACE.name };
    const deployment = new kx.Deployment(
      `${name}-deployment`,
      { metadata: { name: WORKSPACE.name, namespace: args.namespace, labels }, spec: pod.asDeploymentSpec({ replicas: 1 }) },
      { parent: this, dependsOn: args.network.ready },
    );
    this.deployment = deployment;
    this.service = new kx.Service(
      `${name}-service`,
      {
        metadata: { name: WORKSPACE.name, namespace: args.namespace, labels },
        spec: {
          type: "ClusterIP",
          selector: deployment.spec.selector.matchLabels,
          ports: [{ name: "http", port: WORKSPACE.servicePort, targetPort: WORKSPACE.containerPort }],
        },
      },
      { parent: this },
    );
    this.url = pulumi.interpolate`http://${this.service.metadata.name}.${this.service.metadata.namespace}.svc.cluster.local:${WORKSPACE.servicePort}`;
    this.registerOutputs({ url: this.url });
  }
}
