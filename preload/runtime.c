/*
 * Which runtime this process is, for auto mode: runtimes that copy environ
 * at start (Python, Perl, the shells, Java, Tcl, awk, make, uWSGI…) must
 * have their values placed before main; Go copies the environment block on
 * its stack, which setenv cannot extend, so its values go into slots of
 * that block (left there by `vaultshim exec`).
 */
#define _GNU_SOURCE
#include "preload.h"

#include "vs_log.h"

#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

/* Programs (by argv[0] or by the executable's file name) whose runtime
 * copies environ at start. jspawnhelper relays the JVM's environment to
 * Java's children (eager, so a name missing from what it relays is a
 * removal: exec.c); uWSGI's Python plugin copies environ when it loads; make
 * reads it into its variables; busybox is every shell and awk at once. */
static const char default_eager[] =
	"python*,perl*,bash,sh,dash,ash,zsh,ksh*,mksh,java,jspawnhelper,busybox,tclsh*,wish*,"
	"awk,gawk,mawk,nawk,original-awk,make,gmake,uwsgi*,php*";
/* Libraries that embed such a runtime, whatever the program is called. */
static const char default_eager_libs[] = "libpython*,libperl.so*,libtcl*,libjli.so,libjvm.so,libphp*";

char **vs_stack_envp, **vs_stack_argv;

/* Glob match of pattern p[0..pn) against s: '*' and '?' only. Written out
 * rather than fnmatch() so start-up touches no more of libc than it must. */
static bool glob_match(const char *p, size_t pn, const char *s)
{
	size_t pi = 0, star = (size_t)-1;
	const char *mark = NULL;

	while (*s) {
		if (pi < pn && (p[pi] == '?' || p[pi] == *s)) {
			pi++;
			s++;
		} else if (pi < pn && p[pi] == '*') {
			star = pi++;
			mark = s;
		} else if (star != (size_t)-1) {
			pi = star + 1;
			s = ++mark;
		} else {
			return false;
		}
	}
	while (pi < pn && p[pi] == '*')
		pi++;
	return pi == pn;
}

static bool list_matches(const char *list, const char *base)
{
	while (list && *list) {
		size_t n = strcspn(list, ", ");
		if (n && glob_match(list, n, base))
			return true;
		list += n;
		list += strspn(list, ", ");
	}
	return false;
}

static const char *base_of(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static int lib_cb(struct dl_phdr_info *info, size_t size, void *found)
{
	(void)size;
	if (info->dlpi_name && *info->dlpi_name && list_matches(default_eager_libs, base_of(info->dlpi_name))) {
		*(bool *)found = true;
		return 1;
	}
	return 0;
}

/* The main program's program headers as mapped, their count and its load
 * bias (from PT_PHDR); NULL when the kernel did not say. */
static const ElfW(Phdr) *main_phdrs(size_t *n, uintptr_t *bias)
{
	const ElfW(Phdr) *ph = (const ElfW(Phdr) *)getauxval(AT_PHDR);

	*n = getauxval(AT_PHNUM);
	*bias = 0;
	if (!ph || !*n)
		return NULL;
	for (size_t i = 0; i < *n; i++)
		if (ph[i].p_type == PT_PHDR)
			*bias = (uintptr_t)ph - ph[i].p_vaddr;
	return ph;
}

/* The Go linker's build-ID note ("Go", type 4), looked for in the main
 * program's PT_NOTE segments as they are mapped: no file is read. */
static bool main_is_go(void)
{
	size_t n;
	uintptr_t bias;
	const ElfW(Phdr) *ph = main_phdrs(&n, &bias);

	if (!ph)
		return false;
	for (size_t i = 0; i < n; i++) {
		const unsigned char *p, *end;
		if (ph[i].p_type != PT_NOTE)
			continue;
		p = (const unsigned char *)(bias + ph[i].p_vaddr);
		end = p + ph[i].p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
			const unsigned char *name = p + sizeof *nh;
			if (nh->n_namesz > (size_t)(end - name))
				break;
			/* Go writes the name padded: "Go\0\0" */
			if (nh->n_type == 4 && (nh->n_namesz == 3 || nh->n_namesz == 4) && !memcmp(name, "Go", 3))
				return true;
			p = name + ((nh->n_namesz + 3u) & ~3u) + ((nh->n_descsz + 3u) & ~3u);
		}
	}
	return false;
}

/* An empty slot counts too: `vaultshim exec` leaves them only for a
 * program it found to be Go (by the note, or by its .go.buildinfo section,
 * which a build without a build ID still has). */
bool vs_runtime_is_go(void)
{
	static int go = -1;

	if (go < 0) {
		go = main_is_go();
		for (char **e = vs_stack_envp; !go && e && *e; e++)
			go = !strcmp(*e, VS_GO_SLOT);
	}
	return go;
}

bool vs_runtime_eager(const char *extra)
{
	const char *base = program_invocation_short_name;
	char exe[512];
	ssize_t n;
	bool found = false;

	if (vs_runtime_is_go())
		return true;
	if (base && *base == '-') /* a login shell */
		base++;
	if (base && *base && (list_matches(default_eager, base) || list_matches(extra, base)))
		return true;
	/* argv[0] can be anything (`exec -a`, busybox applets, a venv's
	 * `python` symlink): the executable's own name too */
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = 0;
		base = base_of(exe);
		if (list_matches(default_eager, base) || list_matches(extra, base))
			return true;
	}
	dl_iterate_phdr(lib_cb, &found);
	return found;
}

/* entry of env named m, or NULL */
static char **entry_of(char **env, const mapped *m)
{
	for (char **e = env; env && *e; e++)
		if (!strncmp(*e, m->name, m->len) && (*e)[m->len] == '=')
			return e;
	return NULL;
}

/* the first empty slot of the stack's environment block, or NULL */
static char **spare_slot(void)
{
	for (char **e = vs_stack_envp; *e; e++)
		if (!strcmp(*e, VS_GO_SLOT))
			return e;
	return NULL;
}

/* Go: entries of the stack's environment block that can take a value:
 * the name's own entry, or an empty slot. */
static char **go_slot_for(const mapped *m)
{
	char **e = entry_of(vs_stack_envp, m);
	return e ? e : spare_slot();
}

static bool go_wants(const mapped *m)
{
	return m->value && !atomic_load(&m->overridden) && !m->from_env;
}

/* names that want a slot but have no entry; free slots */
static void go_room(size_t *need, size_t *slots)
{
	*need = *slots = 0;
	for (char **e = vs_stack_envp; *e; e++)
		*slots += !strcmp(*e, VS_GO_SLOT);
	for (size_t i = 0; i < vs_n_map; i++) {
		const mapped *m = &vs_map[i];
		if (go_wants(m) && !entry_of(vs_stack_envp, m))
			(*need)++;
	}
}

static size_t reexec_slots;

static size_t go_count_values(void)
{
	size_t n = 0;

	for (size_t i = 0; i < vs_n_map; i++)
		n += go_wants(&vs_map[i]);
	return n;
}

static bool go_any_value(void)
{
	return go_count_values() > 0;
}

/* A Go program's children are started by the Go runtime's own system
 * calls, with Go's copy of the environment: the values it was given, and
 * no choices mask. The Go process marks its environment, with its pid, so
 * that its preloaded children (and only they: a mark that travelled further
 * names another parent) can tell (vs_go_parent_choices). */
#define GO_PARENT "VAULTSHIM_FROM_GO="
static char go_mark[40];

/* A string to put in an environment block: writable (bash cuts every
 * entry at its '=' in place, and a string literal would crash it) and never
 * freed. NULL when out of memory. */
static char *entry_copy(const char *s)
{
	return strdup(s);
}

static bool has_entry(const char *prefix)
{
	for (char **e = vs_stack_envp; *e; e++)
		if (!strncmp(*e, prefix, strlen(prefix)))
			return true;
	return false;
}

static void go_fill(void)
{
	size_t missing = 0;
	char first[128] = "";
	char **slot;

	for (size_t i = 0; i < vs_n_map; i++) {
		mapped *m = &vs_map[i];
		char *entry;
		if (!go_wants(m))
			continue;
		if (!(slot = go_slot_for(m))) {
			if (!missing++)
				snprintf(first, sizeof first, "%s", m->name);
			continue;
		}
		entry = malloc(m->len + strlen(m->value) + 2);
		if (!entry)
			continue;
		memcpy(entry, m->name, m->len);
		entry[m->len] = '=';
		strcpy(entry + m->len + 1, m->value);
		*slot = entry; /* never freed: Go keeps it */
	}
	/* for its children, in spare slots (the launcher leaves two): the hand-off
	 * when this process made it (else the one it was given is in its
	 * environment already), and the mark in every slot left, so that no
	 * child takes an empty slot for a sign of being Go. inherit = no: no
	 * hand-off and no mark (the children get the values all the same:
	 * said below). */
	if (vs_inherit && vs_ho.fd >= 0 && !has_entry("VAULTSHIM_HANDOFF=") && (slot = spare_slot())) {
		static char var[96] = "VAULTSHIM_HANDOFF=";
		vs_handoff_var(var + strlen(var), vs_ho.fd);
		*slot = var;
	}
	snprintf(go_mark, sizeof go_mark, "%s%ld", GO_PARENT, (long)getpid());
	while ((slot = spare_slot())) {
		char *e = entry_copy(vs_inherit ? go_mark : GO_PARENT);
		if (!e)
			break;
		*slot = e;
	}
	if (!vs_inherit)
		vs_log(VS_LOG_WARN, "Go program: inherit = no cannot keep its values from the programs it starts "
				    "(Go passes them its own copy of the environment)");
	if (missing)
		vs_log(VS_LOG_WARN,
		       "Go program: %zu mapped names (first: %s) have no room in its environment block, so Go "
		       "cannot see them; start it with 'vaultshim exec', which makes room",
		       missing, first);
}

/*
 * Go: point the entries of the stack's environment block at the values
 * before the Go runtime copies it. A name already there gets its entry;
 * any other takes an empty slot; /proc/PID/environ keeps showing the
 * original bytes. Runs once, in the constructor, after the values are set.
 * A Go program started without slots (by a shell of the tree, say) is run
 * again with them at the end of the constructor (vs_go_reexec); with some
 * slots already there it takes what fits.
 */
void vs_go_fill_slots(void)
{
	size_t need, slots;

	if (!vs_stack_envp || !vs_runtime_is_go())
		return;
	go_room(&need, &slots);
	/* no slot at all: no room for the names missing from the block, nor
	 * for what its children need (the mark, the hand-off) when it has
	 * values they would be given */
	if (!slots && (need || go_any_value()) && vs_stack_argv && vs_stack_argv[0] && vs_inherit) {
		/* a slot for every value (the exec hook takes the served ones out
		 * of the entries they are in now), and two for its children */
		reexec_slots = go_count_values() + 2;
		return;
	}
	go_fill();
}

/* The file to run again: the executable by its path (so that its name in
 * /proc/PID/comm stays its own), unless it is the dynamic loader itself (a
 * program started as `ld.so PROG`, whose argv no longer says so). */
static bool program_path(char *buf, size_t size)
{
	size_t n;
	uintptr_t bias;
	const ElfW(Phdr) *ph = main_phdrs(&n, &bias);
	struct stat exe, interp;
	ssize_t len = readlink("/proc/self/exe", buf, size - 1);

	if (len <= 0 || stat("/proc/self/exe", &exe) != 0)
		return false;
	buf[len] = 0;
	for (size_t i = 0; ph && i < n; i++)
		if (ph[i].p_type == PT_INTERP && stat((const char *)(bias + ph[i].p_vaddr), &interp) == 0 &&
		    interp.st_dev == exe.st_dev && interp.st_ino == exe.st_ino)
			return false;
	{
		struct stat st;
		/* the path still names this very file */
		return stat(buf, &st) == 0 && st.st_dev == exe.st_dev && st.st_ino == exe.st_ino;
	}
}

/* The end of the constructor: the program again, with room for its values
 * (through execve's hook, so the tree's hand-off goes with it and its
 * values are not resolved twice). */
void vs_go_reexec(void)
{
	size_t n = 0, slots = reexec_slots;
	char **env;

	if (!slots)
		return;
	reexec_slots = 0;
	/* environ, with the values placed in it: the hook takes them out and
	 * hands them down (a name missing from the envp of an eager process
	 * would be a removal) */
	while (environ[n])
		n++;
	env = calloc(n + slots + 1, sizeof *env);
	if (env) {
		memcpy(env, environ, n * sizeof *env);
		for (size_t i = 0; i < slots; i++)
			env[n + i] = (char *)VS_GO_SLOT;
		char path[4096];
		if (program_path(path, sizeof path)) {
			vs_log(VS_LOG_DEBUG, "Go program: running it again with %zu slots for its values", slots);
			execve(path, vs_stack_argv, env);
			vs_log(VS_LOG_DEBUG, "Go program: cannot run it again: %s", strerror(errno));
		}
		free(env);
	}
	go_fill();
}

/* 0: no mark; 1: a mark (a Go program started this process, or an
 * ancestor of it, through no hook); 2: the mark names the parent, or this
 * very process (a Go program that replaced itself with syscall.Exec): the
 * environment is what that Go program chose. */
static int go_mark_kind(void)
{
	static int kind = -1;

	if (kind < 0) {
		char parent[40], self[40];
		snprintf(parent, sizeof parent, "%s%ld", GO_PARENT, (long)getppid());
		snprintf(self, sizeof self, "%s%ld", GO_PARENT, (long)getpid());
		kind = 0;
		for (char **e = vs_stack_envp; e && *e && kind < 2; e++)
			if (!strncmp(*e, GO_PARENT, sizeof GO_PARENT - 1))
				kind = !strcmp(*e, parent) || !strcmp(*e, self) ? 2 : 1;
	}
	return kind;
}

bool vs_go_parent(void)
{
	return go_mark_kind() > 0;
}

/*
 * A child of a Go program, with the tree's values known: what the Go program
 * did is read from the environment it passed, as glibc's exec hooks would
 * have told it. A name with its served value was left alone: the value is
 * wiped from this process's environment block (so /proc/PID/environ no
 * longer shows it) and served from the hand-off; a name with another value
 * was set by the program, and one it had but did not pass was removed: both
 * are the tree's choice. Entries are repointed, never removed: the block
 * keeps its length (a Go child finds its auxiliary vector after it).
 */
void vs_go_parent_choices(void)
{
	/* a value equal to the served one is wiped whoever passed it (rule 3);
	 * a different or a missing one is a choice only when the mark names
	 * the Go program that passed this environment (a child re-parented
	 * before its start, or in a new PID namespace, cannot tell) */
	int kind = go_mark_kind();

	if (!kind || !atomic_load(&vs_resolved))
		return;
	/* a Go program's own children need its own mark: the one it was
	 * given becomes room (go_fill) */
	if (vs_runtime_is_go())
		for (char **e = vs_stack_envp; *e; e++)
			if (!strncmp(*e, GO_PARENT, sizeof GO_PARENT - 1)) {
				char *c = entry_copy(VS_GO_SLOT);
				if (c)
					*e = c;
			}
	for (size_t i = 0; i < vs_n_map; i++) {
		mapped *m = &vs_map[i];
		char **st = entry_of(vs_stack_envp, m), **en = environ != vs_stack_envp ? entry_of(environ, m) : NULL;
		char **e = st ? st : en;
		if (atomic_load(&m->overridden) || !m->value || m->from_env)
			continue;
		if (!e || strcmp(*e + m->len + 1, m->value)) {
			if (kind == 2)
				atomic_store(&m->overridden, true);
			continue;
		}
		explicit_bzero(*e + m->len + 1, strlen(*e + m->len + 1));
		/* a Go child fills it again; any other passes on nothing (the exec
		 * hooks drop the mark's name) */
		if (st) {
			char *c = entry_copy(vs_runtime_is_go() ? VS_GO_SLOT : GO_PARENT);
			if (c)
				*st = c;
		}
		if (en) {
			char *c = entry_copy(GO_PARENT);
			if (c)
				*en = c;
		}
		m->initial = NULL;
	}
}
