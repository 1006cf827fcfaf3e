"""The scope predicate of each read-model table: operators by tree path (`within`, GiST-indexed), tenants by
the ownership of their accounts (an account's meters, the rooms those meters are in).

Operators' paths go into the SQL as constants (see "hot reads" below for why): each scope's statements are
prepared and planned for that scope."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, String, and_, bindparam, false, func, literal_column, select, true
from sqlalchemy.sql import column, table

from services.console.domain.scope import Permission, Scope
from services.console.ltree import within
from services.console.models import account_meters, accounts, meters

# Plain views of tables for subqueries whose path must stay an ltree (the model's column reads it as text).
raw_nodes = table("nodes", column("node_id", String), column("path"))


def node_path(node_id: str):
    """The ltree path of a node, as a scalar subquery (an index condition for `<@`)."""
    return select(raw_nodes.c.path).where(raw_nodes.c.node_id == node_id).scalar_subquery()


def tenant_meter_ids(tenant_id: str) -> Select:
    return (select(account_meters.c.meter_id)
            .join(accounts, accounts.c.account_id == account_meters.c.account_id)
            .where(accounts.c.tenant_id == tenant_id))


def meters_scope(scope: Scope, permission: Permission, meter_id_column=None, path_column=None) -> ColumnElement[bool]:
    """For any table keyed by meter (meters, meter_days, commands): the meter's path or the tenant's meters."""
    meter_id_column = meters.c.meter_id if meter_id_column is None else meter_id_column
    path_column = meters.c.path if path_column is None else path_column
    if scope.is_tenant:
        return meter_id_column.in_(tenant_meter_ids(scope.tenant_id or ""))
    return within(path_column, constant_paths(scope, permission))


def accounts_scope(scope: Scope, permission: Permission, accounts_table=accounts) -> ColumnElement[bool]:
    if scope.is_tenant:
        return accounts_table.c.tenant_id == (scope.tenant_id or "")
    return within(accounts_table.c.path, constant_paths(scope, permission))


def operators_only(scope: Scope, permission: Permission, path_column) -> ColumnElement[bool]:
    """Tables a tenant never sees (gateways, other tenants, the tree's properties)."""
    if scope.is_tenant:
        return false()
    return within(path_column, constant_paths(scope, permission))


def like_pattern(text: str) -> str:
    """A user's search text as a LIKE pattern matching it anywhere (its own % and _ taken literally)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# ---- hot reads: statements built and compiled once per shape -------------------------------------------------
#
# Lists: a scope's paths are written into the statement as constants (ltree paths of our own nodes, checked
# below), so each scope gets its own prepared statement, planned for its own subtree. With the paths as
# parameters one generic plan would serve every scope: made for a property (GiST bitmap + sort) it costs HQ
# 20 ms a page over 15,000 rooms; made for HQ (the b-tree in path order), a property pays.
# Lookups by id (a room, a meter's commands): the scope is a bound parameter, checked on an expression no
# index serves, so that every plan goes by the id (one statement for all scopes).

_PATH = re.compile(r"^[A-Za-z0-9_]{1,256}(\.[A-Za-z0-9_]{1,256})*$")


@dataclass(frozen=True)
class BoundScope:
    """A scope as statement shape (hashable, part of the statement's cache key) and the values to bind."""

    shape: tuple
    params: dict[str, str]


def scope_as_constants(scope: Scope, permission: Permission) -> BoundScope:
    """For lists: ("paths", the paths) is the shape; nothing to bind (tenants: their id is bound)."""
    if scope.is_tenant:
        return BoundScope(("tenant",), {"scope_tenant": scope.tenant_id or ""})
    paths = tuple(sorted(set(scope.paths(permission))))
    for path in paths:
        if not _PATH.match(path):   # never: grant paths are node paths; but these go into SQL text
            raise ValueError(f"not an ltree path: {path!r}")
    return BoundScope(("paths", paths), {})


def constant_paths(scope: Scope, permission: Permission) -> list:
    """The scope's paths as SQL constants (for `within`): a scoped list or sum is planned for its scope."""
    return _paths_of(scope_as_constants(scope, permission).shape)


def scope_as_params(scope: Scope, permission: Permission) -> BoundScope:
    """For lookups by id: ("count", how many paths) is the shape; the paths are bound as scope_0, scope_1..."""
    if scope.is_tenant:
        return BoundScope(("tenant",), {"scope_tenant": scope.tenant_id or ""})
    paths = scope.paths(permission)
    return BoundScope(("count", len(paths)), {f"scope_{i}": p for i, p in enumerate(paths)})


def bound_tenant_meter_ids() -> Select:
    return (select(account_meters.c.meter_id)
            .join(accounts, accounts.c.account_id == account_meters.c.account_id)
            .where(accounts.c.tenant_id == bindparam("scope_tenant", type_=String)))


def _paths_of(shape: tuple) -> list:
    if shape[0] == "paths":
        return [literal_column(f"'{path}'", String) for path in shape[1]]
    return [bindparam(f"scope_{i}", type_=String) for i in range(shape[1])]


def bound_rooms_scope(shape: tuple, node_id_column, path_column) -> ColumnElement[bool]:
    if shape[0] == "tenant":
        return node_id_column.in_(select(meters.c.room_id).where(meters.c.meter_id.in_(bound_tenant_meter_ids())))
    paths = _paths_of(shape)
    if shape[0] == "count":
        return within(unindexed(path_column), paths)
    if len(paths) == 1:   # one subtree: also as a range of the path's b-tree (lists in path order)
        return and_(within(path_column, paths), subtree_range(path_column, func.text2ltree(paths[0])))
    return within(path_column, paths)


def page_rooms_scope(shape: tuple, node_id_column, path_column) -> ColumnElement[bool]:
    """Where a page of rooms in path order looks, with the scope bound (one statement for every scope).

    One subtree (nearly every operator) is read as a range of the path's b-tree only: `<@` next to it would
    let one scope's generic plan (a property's: GiST bitmap + sort) serve all (HQ: 20 ms a page). The
    range is the subtree exactly (see subtree_range); `page_rooms_check` applies `within` to the page's rows.
    """
    if shape[0] == "tenant":
        return bound_rooms_scope(shape, node_id_column, path_column)
    paths = _paths_of(shape)
    if len(paths) == 1:
        return subtree_range(path_column, func.text2ltree(paths[0]))
    return within(path_column, paths)


def page_rooms_check(shape: tuple, path_text_column) -> ColumnElement[bool]:
    """`within`, on the (at most limit + 1) rows a page read: the scope predicate proper."""
    if shape[0] == "tenant":
        return true()
    return within(func.text2ltree(path_text_column), _paths_of(shape))


def bound_meters_scope(shape: tuple, meter_id_column, path_column) -> ColumnElement[bool]:
    if shape[0] == "tenant":
        return meter_id_column.in_(bound_tenant_meter_ids())
    paths = _paths_of(shape)
    return within(unindexed(path_column) if shape[0] == "count" else path_column, paths)


def unindexed(path_column):
    """The same ltree, as an expression no index serves (subpath(path, 0) is the path itself)."""
    return func.subpath(path_column, 0, type_=path_column.type)


def subtree_range(path_column, root) -> ColumnElement[bool]:
    """`path_column` lies in the subtree of the ltree `root`, as a b-tree range: in ltree order a subtree is
    contiguous, from the root up to (excluding) the root whose last label has "0" appended, the least label
    greater than it that is not a descendant ("0" is the least character of our labels, see domain.tree)."""
    return and_(path_column >= root, path_column < func.text2ltree(func.ltree2text(root).concat("0")))


def bound_node_path(name: str):
    """The ltree path of the node whose id is bound as `name`."""
    return select(raw_nodes.c.path).where(raw_nodes.c.node_id == bindparam(name, type_=String)).scalar_subquery()
