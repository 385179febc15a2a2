"""e2e: the command line's own conventions: help on stdout with exit 0, --version, and usage
errors on stderr with exit 2 (no relay needed). `mxrelay check` run by root also checks as
the relay's user, so a key only root can read fails the check as it would fail the service."""

import grp
import os
import pty
import pwd
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

from harness import mxrelay_bin, self_signed_certificate


def mxrelay(*args):
    return subprocess.run([mxrelay_bin(), *args], capture_output=True, text=True, timeout=30)


class CommandLineTest(unittest.TestCase):
    def test_help_goes_to_stdout_with_exit_0(self):
        for flag in ("--help", "-h", "help"):
            done = mxrelay(flag)
            self.assertEqual(done.returncode, 0, flag)
            self.assertIn("usage: mxrelay serve", done.stdout)
            self.assertIn("mxrelay dkim keygen", done.stdout)
            self.assertEqual(done.stderr, "")

    def test_version_and_dash_dash_version_agree(self):
        plain, dashed = mxrelay("version"), mxrelay("--version")
        self.assertEqual(plain.returncode, 0)
        self.assertEqual(plain.stdout, dashed.stdout)
        self.assertRegex(plain.stdout, r"^mxrelay \d+\.\d+\.\d+\nlibunbound ")

    def test_usage_errors_go_to_stderr_with_exit_2(self):
        for args in (["bogus"], [], ["dkim"], ["dkim", "keygen", "only-a-domain"],
                     ["dkim", "keygen", "a.example", "s", "--bits", "1024x"]):
            done = mxrelay(*args)
            self.assertEqual(done.returncode, 2, args)
            self.assertEqual(done.stdout, "", args)
            self.assertIn("usage:", done.stderr, args)
        weak = mxrelay("dkim", "keygen", "a.example", "s", "--bits", "1024", "--out", "/nonexistent/k")
        self.assertEqual(weak.returncode, 2)
        self.assertIn("RFC 8301", weak.stderr)

    @unittest.skipUnless(os.geteuid() == 0, "checking as another user needs root")
    def test_check_as_root_also_checks_as_the_relays_user(self):
        user = pwd.getpwnam("nobody")
        group = grp.getgrgid(user.pw_gid).gr_name
        work = Path(tempfile.mkdtemp(prefix="mxrelay-check-"))
        self.addCleanup(shutil.rmtree, work)
        work.chmod(0o755)
        cert, key = self_signed_certificate(work / "tls", "relay.mxrelay.example")
        (work / "tls").chmod(0o755)
        spool = work / "spool"
        spool.mkdir(mode=0o700)
        os.chown(spool, user.pw_uid, user.pw_gid)
        config = work / "mxrelay.toml"
        config.write_text(
            f'[server]\nlisten = ["127.0.0.1:2525"]\ntls_cert_file = "{cert}"\n'
            f'tls_key_file = "{key}"\n[queue]\ndir = "{spool}"\n'
        )
        config.chmod(0o644)

        as_nobody = mxrelay("check", "-c", str(config), "--user", "nobody")
        self.assertEqual(as_nobody.returncode, 1, as_nobody.stdout)
        self.assertIn(f"{key}", as_nobody.stderr)
        self.assertIn("the relay's user nobody cannot use this configuration", as_nobody.stderr)

        os.chown(key, 0, user.pw_gid)
        key.chmod(0o640)  # root:nobody's group, as the package sets up ssl-cert
        done = mxrelay("check", "-c", str(config), "--user", "nobody")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("configuration is valid, also for user nobody", done.stdout)

        os.chown(spool, 0, 0)
        no_spool = mxrelay("check", "-c", str(config), "--user", "nobody")
        self.assertEqual(no_spool.returncode, 1, no_spool.stdout)
        self.assertIn(f"queue.dir {spool}: {spool}: Permission denied", no_spool.stderr)
        self.assertEqual(mxrelay("check", "-c", str(config), "--user", "root").returncode, 0,
                         f"root itself can use it (group {group})")
        unknown = mxrelay("check", "-c", str(config), "--user", "no-such-user-here")
        self.assertEqual((unknown.returncode, unknown.stderr),
                         (1, "mxrelay check: no user no-such-user-here\n"))

    def passwd_on_a_terminal(self, file, *answers):
        """`mxrelay passwd FILE alice` on a pseudo-terminal, typing each answer after its
        prompt; returns (exit status, everything the terminal showed)."""
        main, terminal = pty.openpty()
        process = subprocess.Popen([mxrelay_bin(), "passwd", str(file), "alice"], stdin=terminal,
                                   stdout=terminal, stderr=terminal, close_fds=True)
        os.close(terminal)
        shown = b""
        for answer in answers:
            while not shown.rstrip().endswith(b":"):
                shown += os.read(main, 1024)
            os.write(main, answer.encode() + b"\n")
            shown += b"|"
        status = process.wait(timeout=30)
        try:
            while chunk := os.read(main, 1024):
                shown += chunk
        except OSError:
            pass
        os.close(main)
        return status, shown.decode(errors="replace")

    def test_passwd_asks_twice_without_echo_on_a_terminal(self):
        work = Path(tempfile.mkdtemp(prefix="mxrelay-passwd-"))
        self.addCleanup(shutil.rmtree, work, True)
        status, shown = self.passwd_on_a_terminal(work / "credentials", "s3cret word", "s3cret word")
        self.assertEqual(status, 0, shown)
        self.assertIn("Password:", shown)
        self.assertIn("Again:", shown)
        self.assertNotIn("s3cret", shown, "the password was echoed")
        self.assertTrue((work / "credentials").read_text().startswith("alice:"))

        status, shown = self.passwd_on_a_terminal(work / "other", "one", "two")
        self.assertEqual(status, 1, shown)
        self.assertIn("the passwords differ; nothing written", shown)
        self.assertFalse((work / "other").exists())

    @unittest.skipUnless(os.geteuid() == 0 and shutil.which("runuser"), "needs root and runuser")
    def test_a_user_who_may_not_enter_the_spool_is_told_so(self):
        work = Path(tempfile.mkdtemp(prefix="mxrelay-cli-"))
        self.addCleanup(shutil.rmtree, work, True)
        (work / "spool").mkdir(mode=0o700)
        work.chmod(0o755)
        config = work / "mxrelay.toml"
        config.write_text(f'[queue]\ndir = "{work / "spool"}"\n')
        config.chmod(0o644)
        done = subprocess.run(["runuser", "-u", "nobody", "--", mxrelay_bin(), "queue", "-c",
                               str(config), "list"], capture_output=True, text=True, timeout=30)
        if "Permission denied" in done.stderr and "spool" not in done.stderr:
            self.skipTest(f"nobody cannot run the binary: {done.stderr}")
        self.assertEqual(done.returncode, 1, done.stderr)
        self.assertIn(f"{work / 'spool'}: Permission denied (run it as root or as the relay's user)",
                      done.stderr)


if __name__ == "__main__":
    unittest.main()
