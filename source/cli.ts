#!/usr/bin/env node
import {main} from './cli/index.js';

/*
The `mcp-proxy` bin: runs the command (source/cli/).
*/

await main();
