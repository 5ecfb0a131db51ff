"""``python -m gazefusion`` (also what ``accelerate launch -m gazefusion ...`` runs)."""

from gazefusion.cli import main

if __name__ == "__main__":
    main()
