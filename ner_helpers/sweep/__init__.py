"""Sweeps: many experiments over a grid or a sampled space, on Optuna.

``sweep_file`` reads and checks a sweep YAML file, ``storage`` opens the study
(a local SQLite file or any database Optuna accepts), ``worker`` runs trials as
ordinary experiment folders, ``report`` and ``plots`` turn a study into a table
and figures. Optuna is an install extra (``pip install -e ".[sweep]"``).
"""
