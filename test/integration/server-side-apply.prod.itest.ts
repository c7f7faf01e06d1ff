import { dryRunSuite } from "./helpers/dry-run-suite";

// One stack per file: Pulumi's runtime is process-global, and the runner gives each file a process.
dryRunSuite("prod");
