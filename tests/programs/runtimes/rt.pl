# Perl: $ENV{} (%ENV is filled from environ at start).
# The runtime contract is in README.
use strict;
use warnings;

my $v = $ENV{RT_SECRET};
if (!defined $v || $v eq "") {
	print STDERR "rt: RT_SECRET missing\n";
	exit 3;
}
$| = 1;
print "$v\n";
exit(system("sleep", "1") == 0 ? 0 : 4);
