#!/usr/bin/env python3
# Logs in with su as an unprivileged user on a pseudo-terminal, as a person
# would, and answers the pbotp challenge su shows: run inside the chroot by
# scripts/e2e/pam.sh. The challenge URL is read off the screen, handed to
# the authority's command (its last output line is the code), and the code
# (or, with --wrong, the code with its last digit changed) is typed at the
# "Password: " prompt. Prints su's exit status; the screen goes to
# --transcript.
import argparse
import os
import pty
import pwd
import re
import select
import subprocess
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument('--user', required=True, help='who runs su')
parser.add_argument('--url', required=True, help='regular expression of the challenge URL')
parser.add_argument('--transcript', required=True)
parser.add_argument('--wrong', action='store_true', help='type a wrong code')
parser.add_argument('--timeout', type=float, default=60)
parser.add_argument('authority', nargs='+', help='command that prints the code for the URL given as its last argument')
args = parser.parse_args()

# The command su runs as root: proof that the login went through.
COMMAND = 'echo "su-as-uid-$(id -u)"'

pid, fd = pty.fork()
if pid == 0:
    pw = pwd.getpwnam(args.user)
    os.setgroups([])
    os.setgid(pw.pw_gid)
    os.setuid(pw.pw_uid)
    os.chdir(pw.pw_dir)
    env = {'PATH': '/usr/bin:/bin', 'HOME': pw.pw_dir, 'USER': pw.pw_name, 'LANG': 'C.UTF-8', 'TERM': 'dumb'}
    os.execve('/usr/bin/su', ['su', '-c', COMMAND, 'root'], env)

screen = b''
deadline = time.monotonic() + args.timeout


def read_some():
    """More of the screen; False once su has closed the terminal."""
    global screen
    ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
    if not ready:
        raise TimeoutError('su showed nothing more')
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        return False
    screen += chunk
    return chunk != b''


def finish(status):
    with open(args.transcript, 'wb') as f:
        f.write(screen)
    print(f'status {status}')
    sys.exit(0)


try:
    # The prompt itself, not the challenge's own words that name it in quotes.
    while not re.search(rb'Password: (?!")\s*$', screen):
        if not read_some():
            raise EOFError('su ended before it asked')
    match = re.search(args.url.encode(), screen)
    if match is None:
        raise LookupError('no challenge URL on the screen')
    answer = subprocess.run([*args.authority, match.group(0).decode()], check=True, capture_output=True, text=True)
    code = answer.stdout.strip().split('\n')[-1].replace(' ', '')
    if args.wrong:
        code = code[:-1] + str((int(code[-1]) + 1) % 10)
    os.write(fd, code.encode() + b'\n')
    while read_some():
        pass
except (TimeoutError, EOFError, LookupError, subprocess.CalledProcessError) as err:
    screen += f'\n[su-pty: {err}]\n'.encode()
    os.kill(pid, 9)
_, status = os.waitpid(pid, 0)
finish(os.waitstatus_to_exitcode(status))
