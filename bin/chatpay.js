#!/usr/bin/env node
// The `chatpay` command. Node 24 runs the TypeScript sources directly (type stripping): no build step.
import '../src/cli/main.ts';
