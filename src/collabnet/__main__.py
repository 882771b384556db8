"""python -m collabnet: the same as the collabnet command."""
from .cli import main

if __name__ == "__main__":
    main()
