/* libharmless.so: an unrelated preload that must stay in LD_PRELOAD. */
int harmless_marker(void) { return 42; }
