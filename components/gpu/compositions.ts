import type { Values } from "../../lib/merge";
import { GPU_RESOURCE } from "../../operator/src/api/v1alpha1";
import { packageObjectName, PATCH_AND_TRANSFORM, type Cloud } from "../crossplane/packages";

/*
 * The GPUNodePool API, the Crossplane v2 way: a CompositeResourceDefinition
 * (apiextensions.crossplane.io/v2, namespaced XRs) and one Pipeline-mode Composition per
 * cloud that runs function-patch-and-transform. Pure: the component registers what these
 * return. Field names are those of the pinned providers' namespaced (`*.m.upbound.io`)
 * managed resources: provider-upjet-aws v2.6.0 (eks, iam), -gcp v3.0.0 (container),
 * -azure v2.7.0 (containerservice).
 */

/** API group of the platform's composite resources. */
export const XR_GROUP = "platform.openhands.ai";
/** Version of GPUNodePool. */
export const XR_VERSION = "v1alpha1";
/** Kind of the composite. */
export const XR_KIND = "GPUNodePool";
/** `apiVersion` of a GPUNodePool. */
export const XR_API_VERSION = `${XR_GROUP}/${XR_VERSION}`;
/** Namespace of the composites and their managed resources (v2 XRs compose in their own namespace). */
export const POOLS_NAMESPACE = "gpu-node-pools";

/** Node label carrying the pool's GPU model. */
export const GPU_TYPE_LABEL = "platform.openhands.ai/gpu-type";
/**
 * The taint on every GPU node (`nvidia.com/gpu=true:NoSchedule`): only pods that tolerate
 * `nvidia.com/gpu` land there. Each cloud spells it its own way (see the compositions).
 */
export const GPU_TAINT = { key: GPU_RESOURCE, value: "true", effect: "NoSchedule" } as const;

/** Name of a cloud's Composition. */
export function compositionName(cloud: Cloud): string {
  return `gpunodepools-${cloud}`;
}

const str = { type: "string" };
const int = (minimum: number) => ({ type: "integer", minimum });

/** The GPUNodePool CompositeResourceDefinition. */
export function renderXrd(): Values {
  return {
    apiVersion: "apiextensions.crossplane.io/v2",
    kind: "CompositeResourceDefinition",
    metadata: { name: `gpunodepools.${XR_GROUP}` },
    spec: {
      group: XR_GROUP,
      names: { kind: XR_KIND, plural: "gpunodepools", singular: "gpunodepool" },
      // Namespaced, v2's default: a pool and its managed resources live in one namespace.
      scope: "Namespaced",
      versions: [
        {
          name: XR_VERSION,
          served: true,
          referenceable: true,
          additionalPrinterColumns: [
            { name: "Cloud", type: "string", jsonPath: ".spec.cloud" },
            { name: "Instance", type: "string", jsonPath: ".spec.instanceType" },
            { name: "Min", type: "integer", jsonPath: ".spec.minSize" },
            { name: "Max", type: "integer", jsonPath: ".spec.maxSize" },
          ],
          schema: {
            openAPIV3Schema: {
              type: "object",
              properties: {
                spec: {
                  type: "object",
                  required: ["cloud", "instanceType", "gpuType", "gpuCount", "minSize", "maxSize", "desiredSize", "diskSizeGb", "nodeLabels", "providerConfigName"],
                  "x-kubernetes-validations": [
                    { rule: "self.minSize <= self.maxSize", message: "spec.minSize must be <= maxSize" },
                    { rule: "self.cloud != 'aws' || has(self.aws)", message: "spec.aws is required for cloud aws" },
                    { rule: "self.cloud != 'gcp' || has(self.gcp)", message: "spec.gcp is required for cloud gcp" },
                    { rule: "self.cloud != 'azure' || has(self.azure)", message: "spec.azure is required for cloud azure" },
                  ],
                  properties: {
                    cloud: { type: "string", enum: ["aws", "gcp", "azure"] },
                    instanceType: str,
                    gpuType: str,
                    gpuCount: int(1),
                    minSize: int(0),
                    maxSize: int(1),
                    desiredSize: int(0),
                    diskSizeGb: int(20),
                    nodeLabels: { type: "object", additionalProperties: str },
                    providerConfigName: str,
                    aws: {
                      type: "object",
                      required: ["clusterName", "region"],
                      properties: { clusterName: str, region: str, subnetIds: { type: "array", items: str } },
                    },
                    gcp: { type: "object", required: ["project", "location", "clusterName"], properties: { project: str, location: str, clusterName: str } },
                    azure: { type: "object", required: ["clusterId", "nodePoolName"], properties: { clusterId: str, nodePoolName: str } },
                  },
                },
                status: {
                  type: "object",
                  // The EKS cluster's subnets, read by the Observe-only Cluster and handed to the node group.
                  properties: { subnetIds: { type: "array", items: str } },
                },
              },
            },
          },
        },
      ],
    },
  };
}

type Patch = Record<string, unknown>;
const from = (fromFieldPath: string, toFieldPath: string): Patch => ({ type: "FromCompositeFieldPath", fromFieldPath, toFieldPath });
const to = (fromFieldPath: string, toFieldPath: string): Patch => ({ type: "ToCompositeFieldPath", fromFieldPath, toFieldPath });
const providerConfig = from("spec.providerConfigName", "spec.providerConfigRef.name");
// v2 managed resources reference a config by kind and name; the platform's are cluster-wide.
const providerConfigRef = { kind: "ClusterProviderConfig", name: "default" };
const EXTERNAL_NAME = "metadata.annotations[crossplane.io/external-name]";

/** The EKS node role's trust policy: EC2 instances assume it. */
const EC2_TRUST_POLICY = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
});
/** What an EKS worker needs: join the cluster, the VPC CNI's ENI calls, pull from ECR. */
const NODE_POLICIES: Record<string, string> = {
  "policy-worker": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
  "policy-cni": "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
  "policy-ecr": "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
};

function awsResources(): Values[] {
  const region = from("spec.aws.region", "spec.forProvider.region");
  return [
    {
      // Observe-only: reads the existing cluster (never changes or deletes it) for its subnets.
      name: "cluster",
      base: {
        apiVersion: "eks.aws.m.upbound.io/v1beta1",
        kind: "Cluster",
        spec: { managementPolicies: ["Observe"], forProvider: {}, providerConfigRef },
      },
      patches: [from("spec.aws.clusterName", EXTERNAL_NAME), region, providerConfig, to("status.atProvider.vpcConfig.subnetIds", "status.subnetIds")],
    },
    {
      name: "node-role",
      base: { apiVersion: "iam.aws.m.upbound.io/v1beta1", kind: "Role", spec: { forProvider: { assumeRolePolicy: EC2_TRUST_POLICY }, providerConfigRef } },
      patches: [providerConfig],
    },
    ...Object.entries(NODE_POLICIES).map(([name, policyArn]) => ({
      name,
      base: {
        apiVersion: "iam.aws.m.upbound.io/v1beta1",
        kind: "RolePolicyAttachment",
        spec: { forProvider: { policyArn, roleSelector: { matchControllerRef: true } }, providerConfigRef },
      },
      patches: [providerConfig],
    })),
    {
      name: "node-group",
      base: {
        apiVersion: "eks.aws.m.upbound.io/v1beta1",
        kind: "NodeGroup",
        spec: {
          forProvider: {
            // The EKS-optimized accelerated AMI ships the NVIDIA driver and container toolkit
            // (the GPU Operator's driver does not support Amazon Linux): see poolNodeLabels.
            amiType: "AL2023_x86_64_NVIDIA",
            capacityType: "ON_DEMAND",
            nodeRoleArnSelector: { matchControllerRef: true },
            // EKS spells taint effects NO_SCHEDULE / NO_EXECUTE / PREFER_NO_SCHEDULE.
            taint: [{ key: GPU_TAINT.key, value: GPU_TAINT.value, effect: "NO_SCHEDULE" }],
            scalingConfig: {},
          },
          // desiredSize only at creation: afterwards a cluster autoscaler owns it.
          initProvider: { scalingConfig: {} },
          providerConfigRef,
        },
      },
      patches: [
        region,
        providerConfig,
        from("spec.aws.clusterName", "spec.forProvider.clusterName"),
        from("status.subnetIds", "spec.forProvider.subnetIds"),
        // Explicit subnets (e.g. private ones only) win over the cluster's.
        from("spec.aws.subnetIds", "spec.forProvider.subnetIds"),
        from("spec.instanceType", "spec.forProvider.instanceTypes[0]"),
        from("spec.diskSizeGb", "spec.forProvider.diskSize"),
        from("spec.nodeLabels", "spec.forProvider.labels"),
        from("spec.minSize", "spec.forProvider.scalingConfig.minSize"),
        from("spec.maxSize", "spec.forProvider.scalingConfig.maxSize"),
        from("spec.desiredSize", "spec.initProvider.scalingConfig.desiredSize"),
      ],
    },
  ];
}

function gcpResources(): Values[] {
  return [
    {
      name: "node-pool",
      base: {
        apiVersion: "container.gcp.m.upbound.io/v1beta1",
        kind: "NodePool",
        spec: {
          forProvider: {
            autoscaling: {},
            nodeConfig: {
              // NVIDIA's GKE path for the GPU Operator: Ubuntu nodes, GKE's driver install and
              // device plugin off (poolNodeLabels), the operator installs driver and toolkit.
              imageType: "UBUNTU_CONTAINERD",
              guestAccelerator: [{ gpuDriverInstallationConfig: { gpuDriverVersion: "INSTALLATION_DISABLED" } }],
              oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
              // GKE spells taint effects NO_SCHEDULE / NO_EXECUTE / PREFER_NO_SCHEDULE.
              taint: [{ key: GPU_TAINT.key, value: GPU_TAINT.value, effect: "NO_SCHEDULE" }],
            },
          },
          providerConfigRef,
        },
      },
      patches: [
        providerConfig,
        from("spec.gcp.project", "spec.forProvider.project"),
        from("spec.gcp.location", "spec.forProvider.location"),
        from("spec.gcp.clusterName", "spec.forProvider.cluster"),
        from("spec.instanceType", "spec.forProvider.nodeConfig.machineType"),
        from("spec.diskSizeGb", "spec.forProvider.nodeConfig.diskSizeGb"),
        from("spec.gpuType", "spec.forProvider.nodeConfig.guestAccelerator[0].type"),
        from("spec.gpuCount", "spec.forProvider.nodeConfig.guestAccelerator[0].count"),
        from("spec.nodeLabels", "spec.forProvider.nodeConfig.labels"),
        from("spec.minSize", "spec.forProvider.autoscaling.minNodeCount"),
        from("spec.maxSize", "spec.forProvider.autoscaling.maxNodeCount"),
        from("spec.desiredSize", "spec.forProvider.initialNodeCount"),
      ],
    },
  ];
}

function azureResources(): Values[] {
  return [
    {
      name: "node-pool",
      base: {
        apiVersion: "containerservice.azure.m.upbound.io/v1beta1",
        kind: "KubernetesClusterNodePool",
        spec: {
          forProvider: {
            mode: "User",
            autoScalingEnabled: true,
            // The GPU Operator installs the driver (NVIDIA's AKS path); AKS' own would clash.
            gpuDriver: "None",
            // AKS spells taints as kubectl does: key=value:Effect.
            nodeTaints: [`${GPU_TAINT.key}=${GPU_TAINT.value}:${GPU_TAINT.effect}`],
          },
          initProvider: {},
          providerConfigRef,
        },
      },
      patches: [
        providerConfig,
        // AKS node pool names are at most 12 lowercase alphanumerics: the composite carries one.
        from("spec.azure.nodePoolName", EXTERNAL_NAME),
        from("spec.azure.clusterId", "spec.forProvider.kubernetesClusterId"),
        from("spec.instanceType", "spec.forProvider.vmSize"),
        from("spec.diskSizeGb", "spec.forProvider.osDiskSizeGb"),
        from("spec.nodeLabels", "spec.forProvider.nodeLabels"),
        from("spec.minSize", "spec.forProvider.minCount"),
        from("spec.maxSize", "spec.forProvider.maxCount"),
        from("spec.desiredSize", "spec.initProvider.nodeCount"),
      ],
    },
  ];
}

const RESOURCES: Record<Cloud, () => Values[]> = { aws: awsResources, gcp: gcpResources, azure: azureResources };

/** A cloud's Composition: Pipeline mode, one function-patch-and-transform step. */
export function renderComposition(cloud: Cloud): Values {
  return {
    apiVersion: "apiextensions.crossplane.io/v1",
    kind: "Composition",
    metadata: { name: compositionName(cloud), labels: { "platform.openhands.ai/cloud": cloud } },
    spec: {
      compositeTypeRef: { apiVersion: XR_API_VERSION, kind: XR_KIND },
      mode: "Pipeline",
      pipeline: [
        {
          step: "patch-and-transform",
          functionRef: { name: packageObjectName(PATCH_AND_TRANSFORM) },
          input: { apiVersion: "pt.fn.crossplane.io/v1beta1", kind: "Resources", resources: RESOURCES[cloud]() },
        },
      ],
    },
  };
}
