"""The backward-pass explorer page: explore.html, explore.js and explore.css (package data),
and rule.py, what its chain-rule panel says."""
