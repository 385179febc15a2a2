"""e2e: the command line's own conventions: help on stdout with exit 0, --version, and usage
errors on stderr with exit 2 (no relay needed)."""

import subprocess
import unittest

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


if __name__ == "__main__":
    unittest.main()
