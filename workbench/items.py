"""Item sources and readers. (Being written: see the items helper's brief.)"""
