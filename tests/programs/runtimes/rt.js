// Node: process.env.RT_SECRET. The runtime contract is in README.
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");

const v = process.env.RT_SECRET;
if (!v) {
	process.stderr.write("rt: RT_SECRET missing\n");
	process.exit(3);
}
fs.writeSync(1, v + "\n");  // synchronous: on disk before the sleep
process.exit(spawnSync("sleep", ["1"], { stdio: "inherit" }).status === 0 ? 0 : 4);
