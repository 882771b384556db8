"""python -m collabnet: the same as the collabnet command."""
from .cli import entry

if __name__ == "__main__":
    entry()
