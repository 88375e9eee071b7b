# forkchurn.py TAG - forks children that exit at once, one after the other,
# forever: `pinch dump --subprocesses` always finds children that are gone
# (or zombies) by the time it reads them. Prints "ready" first; TAG makes
# the command line unique.
import os

print("ready", flush=True)
while True:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
