import { CHARTS } from "../../components/catalog";

/*
 * Printed once at the start of `npm run test:integration`: which charts the suite does not
 * install, and why. Only the chart in this repository (operator/chart) is installed.
 */

const remote = Object.entries(CHARTS).filter(([, pin]) => pin.repo !== "" || pin.chart.startsWith("oci://"));
console.log(
  [
    `Third-party charts NOT installed by this suite (${remote.length}): no chart repository or OCI registry is reachable here, so their`,
    "releases, CRDs and workloads are not tested against a real cluster; objects of their kinds are reported as skipped.",
    "To run with them, use kind and network access (README, \"Integration tests\").",
    ...remote.map(([key, pin]) => `  - ${key}: ${pin.chart} ${pin.version}${pin.repo ? ` from ${pin.repo}` : ""}`),
    `Installed from this repository: ${Object.entries(CHARTS)
      .filter(([, pin]) => pin.repo === "" && !pin.chart.startsWith("oci://"))
      .map(([key, pin]) => `${key} (${pin.chart})`)
      .join(", ")}`,
  ].join("\n"),
);
