<?php
// PHP CLI: getenv(). The runtime contract is in README.
$v = getenv("RT_SECRET");
if ($v === false || $v === "") {
	fwrite(STDERR, "rt: RT_SECRET missing\n");
	exit(3);
}
echo $v, "\n";
fflush(STDOUT);
system("sleep 1", $rc);
exit($rc === 0 ? 0 : 4);
