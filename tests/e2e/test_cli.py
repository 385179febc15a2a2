"""e2e: the command line's own conventions: help on stdout with exit 0, --version, and usage
errors on stderr with exit 2 (no relay needed)."""

import os
import pty
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

from harness import mxrelay_bin


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
