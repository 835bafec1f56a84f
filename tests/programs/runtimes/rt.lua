-- Lua: os.getenv. The runtime contract is in README.
local v = os.getenv("RT_SECRET")
if v == nil or v == "" then
	io.stderr:write("rt: RT_SECRET missing\n")
	os.exit(3)
end
io.stdout:write(v, "\n")
io.stdout:flush()
os.exit(os.execute("sleep 1") and 0 or 4)
