/* env.c - what machine a run measured: kernel, CPU, memory, whether it is
 * virtualised, the clock source, THP and the load. Every reader tolerates
 * a missing file (containers hide parts of /sys): the field then says
 * "unknown" instead of failing the run. */
#include "bench/engine/engine.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

/* The first line of a file, without its newline, or NULL. */
static char *read_line(const char *path)
{
	char buf[512];
	FILE *f = fopen(path, "re");
	char *p;

	if (!f)
		return NULL;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!p)
		return NULL;
	buf[strcspn(buf, "\n")] = '\0';
	return strdup(buf);
}

/* The value of "key<spaces>: value" in a /proc file, or NULL. */
static char *proc_field(const char *path, const char *key)
{
	char line[1024];
	size_t len = strlen(key);
	char *val = NULL;
	FILE *f = fopen(path, "re");

	if (!f)
		return NULL;
	while (!val && fgets(line, sizeof(line), f)) {
		char *p = line + len;

		if (strncmp(line, key, len) != 0 ||
		    (*p != ' ' && *p != '\t' && *p != ':'))
			continue;
		p += strspn(p, " \t");
		if (*p != ':')
			continue;
		p++;
		p += strspn(p, " \t");
		p[strcspn(p, "\n")] = '\0';
		val = strdup(p);
	}
	fclose(f);
	return val;
}

static char *cpu_model(void)
{
	static const char *const keys[] = { "model name", "Model", "cpu model",
					    "Processor" };
	char *v;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if ((v = proc_field("/proc/cpuinfo", keys[i])))
			return v;
	return strdup("unknown");
}

/* The hypervisor's name: from CPUID leaf 0x40000000 on x86 (set by KVM,
 * Hyper-V, VMware, Xen), else /sys/hypervisor; "none" when the CPU does not
 * say it runs under one. */
static char *hypervisor(bool *virtualised)
{
	char *flags = proc_field("/proc/cpuinfo", "flags");
	char *sys = read_line("/sys/hypervisor/type");

	*virtualised = (flags && strstr(flags, " hypervisor")) || sys;
	free(flags);
	if (sys)
		return sys;
#if defined(__x86_64__) || defined(__i386__)
	if (*virtualised) {
		static const struct {
			const char *sig, *name;
		} known[] = {
			{ "KVMKVMKVM", "kvm" },
			{ "Microsoft Hv", "hyperv" },
			{ "VMwareVMware", "vmware" },
			{ "XenVMMXenVMM", "xen" },
			{ "TCGTCGTCGTCG", "qemu-tcg" },
			{ "ACRNACRNACRN", "acrn" },
			{ " lrpepyh  vr", "parallels" },
			{ "VBoxVBoxVBox", "virtualbox" },
		};
		unsigned int regs[4] = { 0 };
		char sig[13];

		__cpuid(0x40000000, regs[0], regs[1], regs[2], regs[3]);
		memcpy(sig, &regs[1], 4);
		memcpy(sig + 4, &regs[2], 4);
		memcpy(sig + 8, &regs[3], 4);
		sig[12] = '\0';
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (!strncmp(sig, known[i].sig, strlen(known[i].sig)))
				return strdup(known[i].name);
		return strdup("unknown");
	}
#endif
	return strdup(*virtualised ? "unknown" : "none");
}

/* The bracketed choice of a sysfs "a [b] c" setting. */
static char *sysfs_choice(const char *path)
{
	char *line = read_line(path);
	char *open, *close;

	if (!line)
		return strdup("unknown");
	open = strchr(line, '[');
	close = open ? strchr(open, ']') : NULL;
	if (open && close) {
		*close = '\0';
		memmove(line, open + 1, strlen(open + 1) + 1);
	}
	return line;
}

static void loadavg(double out[3])
{
	if (getloadavg(out, 3) != 3)
		out[0] = out[1] = out[2] = -1;
}

void bench_env_capture(struct results_machine *machine)
{
	struct utsname uts;
	cpu_set_t allowed;
	char *mem;
	long pages = sysconf(_SC_PHYS_PAGES);
	long page = sysconf(_SC_PAGESIZE);

	if (uname(&uts) == 0) {
		size_t len = strlen(uts.release) + strlen(uts.version) + 2;

		machine->kernel = malloc(len);
		if (machine->kernel)
			snprintf(machine->kernel, len, "%s %s", uts.release,
				 uts.version);
		machine->arch = strdup(uts.machine);
	}
	machine->cpu_model = cpu_model();
	machine->cpus_online = sysconf(_SC_NPROCESSORS_ONLN);
	machine->cpus_allowed = sched_getaffinity(0, sizeof(allowed), &allowed)
					? machine->cpus_online
					: CPU_COUNT(&allowed);
	mem = proc_field("/proc/meminfo", "MemTotal");
	machine->memory_bytes = mem ? strtoull(mem, NULL, 10) * 1024
				    : (uint64_t)pages * (uint64_t)page;
	free(mem);
	machine->hypervisor = hypervisor(&machine->virtualised);
	machine->clocksource = read_line("/sys/devices/system/clocksource/"
					 "clocksource0/current_clocksource");
	if (!machine->clocksource)
		machine->clocksource = strdup("unknown");
	machine->thp =
		sysfs_choice("/sys/kernel/mm/transparent_hugepage/enabled");
	loadavg(machine->loadavg_start);
	machine->busy =
		machine->cpus_online > 0 &&
		machine->loadavg_start[0] > 0.5 * (double)machine->cpus_online;
}

void bench_env_finish(struct results_machine *machine)
{
	loadavg(machine->loadavg_end);
}
