# make: $(RT_SECRET) read while the makefile is parsed, as a Makefile reads
# its settings (make imports environ into its variables at start), and
# exported to the recipe's child as make does with environment variables.
# The runtime contract is in README ($(error) exits 2, not 0).
SECRET := $(RT_SECRET)
ifeq ($(SECRET),)
$(error rt: RT_SECRET missing)
endif
$(info $(SECRET))

all:
	@sleep 1
