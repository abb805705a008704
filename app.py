"""Start the tilqa web chat: `python app.py [--host H] [--port P] [--auth U:P] [--watch]`."""

import sys

from tilqa.cli import run

if __name__ == "__main__":
    sys.exit(run(["serve", *sys.argv[1:]]))
