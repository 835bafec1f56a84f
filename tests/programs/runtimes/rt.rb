# Ruby: ENV["RT_SECRET"]. The runtime contract is in README.
v = ENV["RT_SECRET"]
if v.nil? || v.empty?
  $stderr.puts "rt: RT_SECRET missing"
  exit 3
end
$stdout.puts v
$stdout.flush
exit(system("sleep", "1") ? 0 : 4)
