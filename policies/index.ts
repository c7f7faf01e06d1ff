import { PolicyPack } from "@pulumi/policy";
import { packPolicies } from "./pack";

// The rules live in rules/ (one file each); the Policy component deploys the same rules to
// Kyverno. Per-stack settings and enforcement: config/<stack>.json (--policy-pack-config).
new PolicyPack("platform-policies", { policies: packPolicies() });
