"""The clinic's domain in pure Python: rules, calculations and named errors.

Nothing here imports streamlit or duckdb (tests/test_architecture.py checks it).
"""
