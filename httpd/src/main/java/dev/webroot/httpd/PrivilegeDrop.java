package dev.webroot.httpd;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.NativeLong;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * Switching to an unprivileged user after the listening socket is bound (OKWS: bind, then drop).
 * The order matters: supplementary groups, then the group, then the user (after which the group
 * could no longer be changed), then no-new-privileges so no later exec can regain any. glibc's
 * wrappers apply the id changes to every thread of the process; no-new-privileges is per thread, so
 * it covers the calling thread and the threads it starts afterwards (the sync and selector models'
 * threads), but not those started before the drop: the access-log writer, the vhost watcher and the
 * async model's channel group. The server never execs, so no-new-privileges is only a safeguard.
 */
final class PrivilegeDrop {
    private static final int PR_SET_NO_NEW_PRIVS = 38;
    /** Offsets of pw_uid and pw_gid in glibc's struct passwd: after the pw_name and pw_passwd pointers. */
    private static final int PW_UID_OFFSET = 2 * Native.POINTER_SIZE;
    private static final int PW_GID_OFFSET = PW_UID_OFFSET + 4;

    record Account(String name, int uid, int gid) {}

    private static final class LibC {
        static {
            Native.register(NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
        }

        static native int geteuid();

        static native Pointer getpwnam(String name);

        static native int setgroups(NativeLong size, Pointer list) throws LastErrorException;

        static native int setresgid(int real, int effective, int saved) throws LastErrorException;

        static native int setresuid(int real, int effective, int saved) throws LastErrorException;

        static native int getresuid(int[] real, int[] effective, int[] saved) throws LastErrorException;

        static native int prctl(int option, long arg2, long arg3, long arg4, long arg5) throws LastErrorException;
    }

    private PrivilegeDrop() {}

    static boolean runningAsRoot() {
        return LibC.geteuid() == 0;
    }

    /** Looks the user up through NSS (so LDAP or systemd users work too); empty if unknown. */
    static java.util.Optional<Account> lookup(String user) {
        Pointer passwd = LibC.getpwnam(user);
        if (passwd == null) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new Account(user, passwd.getInt(PW_UID_OFFSET), passwd.getInt(PW_GID_OFFSET)));
    }

    /** Becomes {@code account} for good; throws with the failing step named. */
    static void dropTo(Account account) {
        step("setgroups", () -> LibC.setgroups(new NativeLong(0), Pointer.NULL));
        step("setresgid", () -> LibC.setresgid(account.gid(), account.gid(), account.gid()));
        step("setresuid", () -> LibC.setresuid(account.uid(), account.uid(), account.uid()));
        step("prctl(PR_SET_NO_NEW_PRIVS)", () -> LibC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
        int[] real = new int[1];
        int[] effective = new int[1];
        int[] saved = new int[1];
        LibC.getresuid(real, effective, saved);
        if (real[0] != account.uid() || effective[0] != account.uid() || saved[0] != account.uid()) {
            throw new IllegalStateException("still running as uid " + effective[0] + " after dropping to " + account.name());
        }
    }

    private interface Call {
        int run();
    }

    private static void step(String name, Call call) {
        try {
            call.run();
        } catch (LastErrorException e) {
            throw new IllegalStateException(name + " failed: " + e.getMessage(), e);
        }
    }
}
