"""e2e: the command line's own conventions: help on stdout with exit 0, --version, and usage
errors on stderr with exit 2 (no relay needed)."""

import os
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
