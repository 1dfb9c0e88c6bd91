"""Side effects that must wait for the transaction to commit.

A rolled-back change must not evict caches or announce events, and other
workers must not act before the change is visible. Many edits in one
transaction ask for the same effect: they share one callback, which gets
everything they queued.
"""

import functools


def collect(cr, key, callback, items):
    """Queue ``items`` for ``callback(set_of_items)``, run once after ``cr`` commits."""
    pending = cr.postcommit.data.get(key)
    if pending is None:
        pending = cr.postcommit.data[key] = set()
        cr.postcommit.add(functools.partial(callback, pending))
    pending.update(items)
