/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The KVM probe: a real vCPU run in a child process, because nested KVM can hang instead of failing. */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <glib/gi18n-lib.h>

#include "hv-accel.h"

/* The child's exit status names the step that failed. */
enum {
  PROBE_OK = 0,
  PROBE_NO_DEVICE = 10,
  PROBE_NO_ACCESS,
  PROBE_BAD_API,
  PROBE_NO_VM,
  PROBE_NO_MEMORY,
  PROBE_NO_VCPU,
  PROBE_NO_REGS,
  PROBE_RUN_FAILED,
  PROBE_NOT_HALTED,
};

/* A Linux kernel under KVM panics (no root) within a second or two; TCG takes about 4 s. */
#define KERNEL_BOOT_TIMEOUT_S 5

typedef struct {
  GPid         pid;
  guint        timeout_ms;
  guint        timeout_id;
  guint        watch_id;
  GSubprocess *qemu;           /* the kernel boot, second stage */
  guint        qemu_timeout_id;
  char        *kernel;
} ProbeData;

static void
probe_data_free (ProbeData *data)
{
  g_clear_object (&data->qemu);
  g_free (data->kernel);
  g_free (data);
}

static void
answer (GTask       *task,
        HvQemuAccel  accel,
        char        *detail)
{
  g_object_set_data_full (G_OBJECT (task), "detail", detail, g_free);
  g_task_return_int (task, accel);
}

/* The host's own kernel (the newest /boot/vmlinuz-*), or DOMUS_KVM_PROBE_KERNEL. */
static char *
find_kernel (void)
{
  const char *chosen = g_getenv ("DOMUS_KVM_PROBE_KERNEL");
  g_autoptr(GDir) dir = NULL;
  g_autofree char *best = NULL;
  const char *name;

  if (chosen != NULL)
    return g_strdup (chosen);
  if (g_file_test ("/boot/vmlinuz", G_FILE_TEST_IS_REGULAR))
    return g_strdup ("/boot/vmlinuz");
  dir = g_dir_open ("/boot", 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "vmlinuz-") && (best == NULL || strcmp (name, best) > 0))
      {
        g_free (best);
        best = g_strdup (name);
      }
  return best != NULL ? g_build_filename ("/boot", best, NULL) : NULL;
}

static void
on_kernel_booted (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ProbeData *data = g_task_get_task_data (task);
  g_autofree char *output = NULL;
  gboolean ran;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &output, NULL, NULL);
  if (data->qemu_timeout_id == 0)
    return;  /* timed out: answered already */
  g_clear_handle_id (&data->qemu_timeout_id, g_source_remove);
  ran = output != NULL && strstr (output, "Linux version") != NULL;
  answer (task, ran ? HV_QEMU_ACCEL_KVM : HV_QEMU_ACCEL_TCG,
          ran ? g_strdup_printf (_("KVM booted %s"), data->kernel)
              : g_strdup_printf (_("KVM could not boot %s"), data->kernel));
}

static gboolean
on_kernel_timeout (gpointer user_data)
{
  GTask *task = user_data;
  ProbeData *data = g_task_get_task_data (task);

  data->qemu_timeout_id = 0;
  g_subprocess_force_exit (data->qemu);
  answer (task, HV_QEMU_ACCEL_TCG,
          g_strdup_printf (_("KVM did not boot %s within %d s (nested virtualisation?)"),
                           data->kernel, KERNEL_BOOT_TIMEOUT_S));
  return G_SOURCE_REMOVE;
}

/*
 * A vCPU that runs one instruction is not enough: nested KVM on some machines hangs once a
 * real kernel switches modes. So a real kernel boots, without a root file system, until it
 * panics and QEMU (-no-reboot) exits.
 */
static void
boot_kernel (GTask *task)
{
  ProbeData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  data->kernel = find_kernel ();
  if (data->kernel == NULL)
    {
      answer (task, HV_QEMU_ACCEL_KVM,
              g_strdup (_("KVM ran a test vCPU (no kernel in /boot to boot a whole guest)")));
      g_object_unref (task);
      return;
    }
  data->qemu = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE |
                                 G_SUBPROCESS_FLAGS_STDIN_INHERIT, &error,
                                 HV_QEMU_DEFAULT_BINARY, "-nodefaults", "-no-user-config",
                                 "-machine", "pc", "-accel", "kvm", "-m", "128",
                                 "-kernel", data->kernel, "-append", "console=ttyS0 panic=-1 quiet",
                                 "-no-reboot", "-display", "none", "-serial", "stdio", NULL);
  if (data->qemu == NULL)
    {
      answer (task, HV_QEMU_ACCEL_TCG,
              g_strdup_printf (_("QEMU cannot run for the KVM probe: %s"), error->message));
      g_object_unref (task);
      return;
    }
  data->qemu_timeout_id = g_timeout_add_seconds (KERNEL_BOOT_TIMEOUT_S, on_kernel_timeout, task);
  g_subprocess_communicate_utf8_async (data->qemu, NULL, NULL, on_kernel_booted, task);
}

const char *
hv_accel_to_string (HvQemuAccel accel)
{
  return accel == HV_QEMU_ACCEL_KVM ? "kvm" : "tcg";
}

/* Runs in the forked child: system calls only, no allocation, no locks. */
static G_GNUC_NORETURN void
probe_child (void)
{
  static const unsigned char code[] = { 0xf4 };  /* hlt */
  struct kvm_userspace_memory_region region = { 0 };
  struct kvm_sregs sregs;
  struct kvm_regs regs = { 0 };
  struct kvm_run *run;
  void *memory;
  int kvm, vm, vcpu, run_size;

  kvm = open ("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (kvm < 0)
    _exit (errno == ENOENT ? PROBE_NO_DEVICE : PROBE_NO_ACCESS);
  if (ioctl (kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
    _exit (PROBE_BAD_API);
  vm = ioctl (kvm, KVM_CREATE_VM, 0);
  if (vm < 0)
    _exit (PROBE_NO_VM);

  memory = mmap (NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED)
    _exit (PROBE_NO_MEMORY);
  memcpy (memory, code, sizeof code);
  region.slot = 0;
  region.guest_phys_addr = 0x1000;
  region.memory_size = 0x1000;
  region.userspace_addr = (guint64) (gsize) memory;
  if (ioctl (vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
    _exit (PROBE_NO_MEMORY);

  vcpu = ioctl (vm, KVM_CREATE_VCPU, 0);
  run_size = ioctl (kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
  if (vcpu < 0 || run_size <= 0)
    _exit (PROBE_NO_VCPU);
  run = mmap (NULL, (size_t) run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
  if (run == MAP_FAILED)
    _exit (PROBE_NO_VCPU);

  /* Real mode at 0000:1000, where the hlt is. */
  if (ioctl (vcpu, KVM_GET_SREGS, &sregs) < 0)
    _exit (PROBE_NO_REGS);
  sregs.cs.base = 0;
  sregs.cs.selector = 0;
  if (ioctl (vcpu, KVM_SET_SREGS, &sregs) < 0)
    _exit (PROBE_NO_REGS);
  regs.rip = 0x1000;
  regs.rflags = 0x2;
  if (ioctl (vcpu, KVM_SET_REGS, &regs) < 0)
    _exit (PROBE_NO_REGS);

  if (ioctl (vcpu, KVM_RUN, 0) < 0)
    _exit (PROBE_RUN_FAILED);
  _exit (run->exit_reason == KVM_EXIT_HLT ? PROBE_OK : PROBE_NOT_HALTED);
}

static char *
describe_status (int status)
{
  if (!WIFEXITED (status))
    return g_strdup (_("the KVM probe was killed"));
  switch (WEXITSTATUS (status))
    {
    case PROBE_NO_DEVICE:  return g_strdup (_("there is no /dev/kvm"));
    case PROBE_NO_ACCESS:  return g_strdup (_("/dev/kvm cannot be opened (permissions?)"));
    case PROBE_BAD_API:    return g_strdup (_("/dev/kvm speaks another KVM API version"));
    case PROBE_NO_VM:      return g_strdup (_("KVM cannot create a virtual machine"));
    case PROBE_NO_MEMORY:  return g_strdup (_("KVM cannot give a virtual machine memory"));
    case PROBE_NO_VCPU:    return g_strdup (_("KVM cannot create a virtual CPU"));
    case PROBE_NO_REGS:    return g_strdup (_("KVM cannot set up a virtual CPU"));
    case PROBE_RUN_FAILED: return g_strdup (_("KVM cannot run a virtual CPU"));
    default:               return g_strdup (_("a KVM test guest did not stop where it should"));
    }
}

static void
on_probe_exited (GPid     pid,
                 int      status,
                 gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  ProbeData *data = g_task_get_task_data (task);

  data->watch_id = 0;
  g_spawn_close_pid (pid);
  if (data->timeout_id == 0)
    return;  /* timed out: the answer is given already */
  g_clear_handle_id (&data->timeout_id, g_source_remove);
  if (WIFEXITED (status) && WEXITSTATUS (status) == PROBE_OK)
    {
      boot_kernel (g_steal_pointer (&task));
      return;
    }
  answer (task, HV_QEMU_ACCEL_TCG, describe_status (status));
}

static gboolean
on_probe_timeout (gpointer user_data)
{
  GTask *task = user_data;
  ProbeData *data = g_task_get_task_data (task);

  data->timeout_id = 0;
  /* The child watch stays: it reaps the child once SIGKILL got through. */
  kill (data->pid, SIGKILL);
  g_object_set_data_full (G_OBJECT (task), "detail",
                          g_strdup_printf (_("KVM did not answer within %u ms (nested virtualisation?)"),
                                           data->timeout_ms), g_free);
  g_task_return_int (task, HV_QEMU_ACCEL_TCG);
  return G_SOURCE_REMOVE;
}

void
hv_accel_probe_async (guint                timeout_ms,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  const char *forced = g_getenv ("DOMUS_ACCEL");
  ProbeData *data;
  GPid pid;

  g_task_set_source_tag (task, hv_accel_probe_async);
  if (forced != NULL && (g_str_equal (forced, "kvm") || g_str_equal (forced, "tcg")))
    {
      g_object_set_data_full (G_OBJECT (task), "detail",
                              g_strdup_printf (_("chosen by DOMUS_ACCEL=%s; KVM was not probed"), forced),
                              g_free);
      g_object_set_data (G_OBJECT (task), "forced", GINT_TO_POINTER (TRUE));
      g_task_return_int (task, g_str_equal (forced, "kvm") ? HV_QEMU_ACCEL_KVM : HV_QEMU_ACCEL_TCG);
      return;
    }

  pid = fork ();
  if (pid == 0)
    probe_child ();
  if (pid < 0)
    {
      g_object_set_data_full (G_OBJECT (task), "detail",
                              g_strdup_printf (_("the KVM probe cannot start: %s"), g_strerror (errno)),
                              g_free);
      g_task_return_int (task, HV_QEMU_ACCEL_TCG);
      return;
    }
  data = g_new0 (ProbeData, 1);
  data->pid = pid;
  data->timeout_ms = timeout_ms;
  g_task_set_task_data (task, data, (GDestroyNotify) probe_data_free);
  data->timeout_id = g_timeout_add (timeout_ms, on_probe_timeout, task);
  data->watch_id = g_child_watch_add (pid, on_probe_exited, g_object_ref (task));
}

HvQemuAccel
hv_accel_probe_finish (GAsyncResult  *result,
                       gboolean      *probed,
                       char         **detail)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), HV_QEMU_ACCEL_TCG);

  if (probed != NULL)
    *probed = g_object_get_data (G_OBJECT (result), "forced") == NULL;
  if (detail != NULL)
    *detail = g_strdup (g_object_get_data (G_OBJECT (result), "detail"));
  return (HvQemuAccel) g_task_propagate_int (G_TASK (result), NULL);
}
