"""Delete lines of a failing random program while it still fails the same way.

    python tests/compiler/reduce_prog.py file.py outcome-prefix [npgen|memgen|cfgen]
"""
import signal
import sys


def _alarm(*_):
    raise TimeoutError


signal.signal(signal.SIGALRM, _alarm)
import importlib


def main():
    path, want = sys.argv[1], sys.argv[2]
    gen = importlib.import_module(sys.argv[3] if len(sys.argv) > 3 else "npgen")
    lines = open(path).read().split("\n")

    def fails(ls):
        src = "\n".join(ls)
        try:
            compile(src, "x", "exec")
        except SyntaxError:
            return False
        signal.alarm(20)
        try:
            out, detail = gen.check(src)
        except TimeoutError:
            return False
        finally:
            signal.alarm(0)
        return (out + ": " + detail).startswith(want)

    assert fails(lines), gen.check("\n".join(lines))
    changed = True
    while changed:
        changed = False
        i = len(lines) - 1
        while i >= 0:
            if lines[i].startswith("    ") and not lines[i].strip().startswith("return"):
                ind = len(lines[i]) - len(lines[i].lstrip())
                j = i + 1
                while j < len(lines) and lines[j].strip() and \
                        len(lines[j]) - len(lines[j].lstrip()) > ind:
                    j += 1
                for end in ([j, i + 1] if j > i + 1 else [i + 1]):
                    trial = lines[:i] + lines[end:]
                    if fails(trial):
                        lines = trial
                        changed = True
                        break
                i = min(i, len(lines))
            i -= 1
    print("\n".join(lines))


main()
