package dev.webroot.httpd;

import dev.webroot.io.model.LibC;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

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
    private static final int PW_UID_OFFSET = (int) (2 * ValueLayout.ADDRESS.byteSize());
    private static final int PW_GID_OFFSET = PW_UID_OFFSET + 4;

    private static final MemorySegment GETEUID = LibC.function("geteuid");
    private static final MemorySegment GETPWNAM = LibC.function("getpwnam");
    private static final MemorySegment SETGROUPS = LibC.function("setgroups");
    private static final MemorySegment SETRESGID = LibC.function("setresgid");
    private static final MemorySegment SETRESUID = LibC.function("setresuid");
    private static final MemorySegment GETRESUID = LibC.function("getresuid");
    private static final MemorySegment PRCTL = LibC.function("prctl");

    record Account(String name, int uid, int gid) {}

    private PrivilegeDrop() {}

    static boolean runningAsRoot() {
        return (int) LibC.callIgnoringErrno(GETEUID, 0, 0, 0) == 0;
    }

    /** Looks the user up through NSS (so LDAP or systemd users work too); empty if unknown. */
    static java.util.Optional<Account> lookup(String user) {
        long passwd;
        try (Arena arena = Arena.ofConfined()) {
            passwd = LibC.callIgnoringErrno(GETPWNAM, arena.allocateFrom(user).address(), 0, 0);
        }
        if (passwd == 0) {
            return java.util.Optional.empty();
        }
        MemorySegment entry = MemorySegment.ofAddress(passwd).reinterpret(PW_GID_OFFSET + 4);
        return java.util.Optional.of(new Account(user, entry.get(ValueLayout.JAVA_INT, PW_UID_OFFSET),
                entry.get(ValueLayout.JAVA_INT, PW_GID_OFFSET)));
    }

    /** Becomes {@code account} for good; throws with the failing step named. */
    static void dropTo(Account account) {
        try (Arena arena = Arena.ofConfined()) {
            LibC.callInt("setgroups", SETGROUPS, 0, 0, 0, 0, 0);
            LibC.callInt("setresgid", SETRESGID, account.gid(), account.gid(), account.gid(), 0, 0);
            LibC.callInt("setresuid", SETRESUID, account.uid(), account.uid(), account.uid(), 0, 0);
            LibC.callInt("prctl(PR_SET_NO_NEW_PRIVS)", PRCTL, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
            MemorySegment ids = arena.allocate(ValueLayout.JAVA_INT, 3);
            LibC.callInt("getresuid", GETRESUID, ids.address(), ids.address() + 4, ids.address() + 8, 0, 0);
            int effective = ids.getAtIndex(ValueLayout.JAVA_INT, 1);
            for (int i = 0; i < 3; i++) {
                if (ids.getAtIndex(ValueLayout.JAVA_INT, i) != account.uid()) {
                    throw new IllegalStateException("still running as uid " + effective + " after dropping to " + account.name());
                }
            }
        }
    }
}
