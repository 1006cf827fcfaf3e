"""Console: the org tree (ltree), tenants and leases, operators, roles and grants, API tokens, the
append-only audit log, idempotency keys, and the read models of the other services' topics.

Revision ID: con0001
Revises:
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.console.ltree import Ltree

revision = "con0001"
down_revision = None
branch_labels = None
depends_on = None

LTREE = Ltree()
APPEND_ONLY = (  # one statement per execute: asyncpg prepares each
    """CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END $$""",
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
    """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()""",
)


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS ltree")
    op.create_table('audit_log',
    sa.Column('audit_id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('actor_kind', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('address', sa.String(length=64), server_default='', nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target_kind', sa.String(length=32), server_default='', nullable=False),
    sa.Column('target_id', sa.String(length=100), server_default='', nullable=False),
    sa.Column('path', LTREE, nullable=True),
    sa.Column('request_id', sa.String(length=64), server_default='', nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('before', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('after', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('detail', sa.Text(), server_default='', nullable=False),
    sa.PrimaryKeyConstraint('audit_id', name=op.f('pk_audit_log'))
    )
    op.create_index('ix_audit_log_actor', 'audit_log', ['actor', 'at'], unique=False)
    op.create_index('ix_audit_log_at', 'audit_log', ['at'], unique=False)
    op.create_index('ix_audit_log_path_gist', 'audit_log', ['path'], unique=False, postgresql_using='gist')
    op.create_index('ix_audit_log_target', 'audit_log', ['target_kind', 'target_id', 'at'], unique=False)
    op.create_table('batches',
    sa.Column('batch_id', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('property_id', sa.String(length=64), nullable=True),
    sa.Column('path', LTREE, nullable=False),
    sa.Column('requested_by', sa.String(length=100), nullable=False),
    sa.Column('items', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('batch_id', name=op.f('pk_batches'))
    )
    op.create_index('ix_batches_path_gist', 'batches', ['path'], unique=False, postgresql_using='gist')
    op.create_table('commands',
    sa.Column('command_id', sa.String(length=100), nullable=False),
    sa.Column('meter_id', sa.String(length=64), nullable=False),
    sa.Column('property_id', sa.String(length=64), nullable=False),
    sa.Column('path', LTREE, nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('requested_by', sa.String(length=100), server_default='', nullable=False),
    sa.Column('reason', sa.String(length=200), server_default='', nullable=False),
    sa.Column('detail', sa.String(length=500), server_default='', nullable=False),
    sa.Column('batch_id', sa.String(length=100), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('command_id', name=op.f('pk_commands'))
    )
    op.create_index('ix_commands_meter', 'commands', ['meter_id', 'created_at'], unique=False)
    op.create_index('ix_commands_path_gist', 'commands', ['path'], unique=False, postgresql_using='gist')
    op.create_table('gateways',
    sa.Column('gateway_id', sa.String(length=64), nullable=False),
    sa.Column('property_id', sa.String(length=64), nullable=False),
    sa.Column('path', LTREE, nullable=False),
    sa.Column('online', sa.Boolean(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('gateway_id', name=op.f('pk_gateways'))
    )
    op.create_index('ix_gateways_path_gist', 'gateways', ['path'], unique=False, postgresql_using='gist')
    op.create_table('idempotency_keys',
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('response', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('actor', 'key', name=op.f('pk_idempotency_keys'))
    )
    op.create_table('inbox',
    sa.Column('consumer', sa.String(length=100), nullable=False),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('consumer', 'message_id', name=op.f('pk_inbox'))
    )
    op.create_table('meter_days',
    sa.Column('meter_id', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('property_id', sa.String(length=64), nullable=False),
    sa.Column('path', LTREE, nullable=False),
    sa.Column('first_wh', sa.BigInteger(), nullable=True),
    sa.Column('last_wh', sa.BigInteger(), nullable=True),
    sa.Column('energy_wh', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('last_charge_to', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('meter_id', 'day', name=op.f('pk_meter_days'))
    )
    op.create_index('ix_meter_days_day', 'meter_days', ['day'], unique=False)
    op.create_index('ix_meter_days_path_gist', 'meter_days', ['path'], unique=False, postgresql_using='gist')
    op.create_table('nodes',
    sa.Column('node_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('parent_id', sa.String(length=64), nullable=True),
    sa.Column('path', LTREE, nullable=False),
    sa.Column('property_id', sa.String(length=64), nullable=True),
    sa.Column('area_m2', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('room_use', sa.String(length=16), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['nodes.node_id'],
                            name=op.f('fk_nodes_parent_id_nodes')),
    sa.PrimaryKeyConstraint('node_id', name=op.f('pk_nodes')),
    sa.UniqueConstraint('path', name=op.f('uq_nodes_path'))
    )
    op.create_index('ix_nodes_parent', 'nodes', ['parent_id'], unique=False)
    op.create_index('ix_nodes_path_gist', 'nodes', ['path'], unique=False, postgresql_using='gist')
    op.create_table('operators',
    sa.Column('operator_id', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('password_changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('disabled', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('operator_id', name=op.f('pk_operators')),
    sa.UniqueConstraint('username', name=op.f('uq_operators_username'))
    )
    op.create_table('outbox',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('topic', sa.String(length=200), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    op.create_table('plans',
    sa.Column('plan_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('property_id', sa.String(length=64), nullable=False),
    sa.Column('path', LTREE, nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('plan_id', name=op.f('pk_plans'))
    )
    op.create_index('ix_plans_path_gist', 'plans', ['path'], unique=False, postgresql_using='gist')
    op.create_table('roles',
    sa.Column('role_id', sa.String(length=64), nullable=False),
    sa.Column('name_zh', sa.String(length=64), nullable=False),
    sa.Column('name_en', sa.String(length=64), nullable=False),
    sa.Column('permissions', postgresql.ARRAY(sa.String(length=32)), nullable=False),
    sa.Column('built_in', sa.Boolean(), server_default='false', nullable=False),
    sa.PrimaryKeyConstraint('role_id', name=op.f('pk_roles'))
    )
    op.create_table('api_tokens',
    sa.Column('token_id', sa.String(length=64), nullable=False),
    sa.Column('operator_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.operator_id'],
                            name=op.f('fk_api_tokens_operator_id_operators')),
    sa.PrimaryKeyConstraint('token_id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    op.create_table('grants',
    sa.Column('grant_id', sa.String(length=64), nullable=False),
    sa.Column('operator_id', sa.String(length=64), nullable=False),
    sa.Column('role_id', sa.String(length=64), nullable=False),
    sa.Column('node_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['node_id'], ['nodes.node_id'],
                            name=op.f('fk_grants_node_id_nodes')),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.operator_id'],
                            name=op.f('fk_grants_operator_id_operators')),
    sa.ForeignKeyConstraint(['role_id'], ['roles.role_id'],
                            name=op.f('fk_grants_role_id_roles')),
    sa.PrimaryKeyConstraint('grant_id', name=op.f('pk_grants')),
    sa.UniqueConstraint('operator_id', 'role_id', 'node_id', name=op.f('uq_grants_operator_id_role_id_node_id'))
    )
    op.create_table('meters',
    sa.Column('meter_id', sa.String(length=64), nullable=False),
    sa.Column('room_id', sa.String(length=64), nullable=False),
    sa.Column('property_id', sa.String(length=64), nullable=False),
    sa.Column('path', LTREE, nullable=False),
    sa.Column('kind', sa.String(length=16), server_default='electricity', nullable=False),
    sa.Column('gateway_id', sa.String(length=64), server_default='', nullable=False),
    sa.Column('online', sa.Boolean(), nullable=True),
    sa.Column('relay_state', sa.String(length=16), server_default='unknown', nullable=False),
    sa.Column('control_mode', sa.String(length=16), server_default='prepaid', nullable=False),
    sa.Column('last_read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('total_wh', sa.BigInteger(), nullable=True),
    sa.Column('volume_l', sa.BigInteger(), nullable=True),
    sa.Column('bands_wh', postgresql.ARRAY(sa.BigInteger()), nullable=True),
    sa.Column('voltage_dv', sa.Integer(), nullable=True),
    sa.Column('current_ca', sa.Integer(), nullable=True),
    sa.Column('power_w', sa.Integer(), nullable=True),
    sa.Column('power_factor_milli', sa.Integer(), nullable=True),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['room_id'], ['nodes.node_id'],
                            name=op.f('fk_meters_room_id_nodes')),
    sa.PrimaryKeyConstraint('meter_id', name=op.f('pk_meters'))
    )
    op.create_index('ix_meters_gateway', 'meters', ['gateway_id'], unique=False)
    op.create_index('ix_meters_path_gist', 'meters', ['path'], unique=False, postgresql_using='gist')
    op.create_index('ix_meters_room', 'meters', ['room_id'], unique=False)
    op.create_table('tenants',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=20), server_default='', nullable=False),
    sa.Column('email', sa.String(length=200), server_default='', nullable=False),
    sa.Column('wechat_openid', sa.String(length=64), server_default='', nullable=False),
    sa.Column('language', sa.String(length=8), server_default='zh-CN', nullable=False),
    sa.Column('property_id', sa.String(length=64), nullable=False),
    sa.Column('path', LTREE, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['property_id'], ['nodes.node_id'],
                            name=op.f('fk_tenants_property_id_nodes')),
    sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_tenants'))
    )
    op.create_index('ix_tenants_path_gist', 'tenants', ['path'], unique=False, postgresql_using='gist')
    op.create_index('ix_tenants_phone', 'tenants', ['phone'], unique=False)
    op.create_table('accounts',
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=True),
    sa.Column('property_id', sa.String(length=64), nullable=False),
    sa.Column('path', LTREE, nullable=False),
    sa.Column('status', sa.String(length=16), server_default='open', nullable=False),
    sa.Column('balance_fen', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('balance_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cutoff_fen', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('alarm_level', sa.Integer(), server_default='0', nullable=False),
    sa.Column('in_arrears', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.tenant_id'],
                            name=op.f('fk_accounts_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_accounts'))
    )
    op.create_index('ix_accounts_path_gist', 'accounts', ['path'], unique=False, postgresql_using='gist')
    op.create_index('ix_accounts_tenant', 'accounts', ['tenant_id'], unique=False)
    op.create_table('leases',
    sa.Column('lease_id', sa.String(length=64), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('property_id', sa.String(length=64), nullable=False),
    sa.Column('path', LTREE, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.tenant_id'],
                            name=op.f('fk_leases_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('lease_id', name=op.f('pk_leases'))
    )
    op.create_index('ix_leases_tenant', 'leases', ['tenant_id'], unique=False)
    op.create_table('account_meters',
    sa.Column('meter_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.account_id'],
                            name=op.f('fk_account_meters_account_id_accounts')),
    sa.PrimaryKeyConstraint('meter_id', name=op.f('pk_account_meters'))
    )
    op.create_index('ix_account_meters_account', 'account_meters', ['account_id'], unique=False)
    op.create_table('lease_rooms',
    sa.Column('lease_id', sa.String(length=64), nullable=False),
    sa.Column('room_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['lease_id'], ['leases.lease_id'],
                            name=op.f('fk_lease_rooms_lease_id_leases')),
    sa.ForeignKeyConstraint(['room_id'], ['nodes.node_id'],
                            name=op.f('fk_lease_rooms_room_id_nodes')),
    sa.PrimaryKeyConstraint('lease_id', 'room_id', name=op.f('pk_lease_rooms'))
    )
    op.create_table('money_movements',
    sa.Column('transfer_id', sa.String(length=100), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('channel', sa.String(length=32), server_default='cash', nullable=False),
    sa.Column('purse', sa.String(length=16), server_default='electricity', nullable=False),
    sa.Column('operator', sa.String(length=100), nullable=False),
    sa.Column('reverses_transfer_id', sa.String(length=100), nullable=True),
    sa.Column('balance_after_fen', sa.BigInteger(), nullable=True),
    sa.Column('property_id', sa.String(length=64), nullable=False),
    sa.Column('path', LTREE, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.account_id'],
                            name=op.f('fk_money_movements_account_id_accounts')),
    sa.PrimaryKeyConstraint('transfer_id', name=op.f('pk_money_movements'))
    )
    op.create_index('ix_money_movements_account', 'money_movements', ['account_id', 'created_at'], unique=False)
    op.create_index('ix_money_movements_path_gist', 'money_movements', ['path'], unique=False, postgresql_using='gist')
    for statement in APPEND_ONLY:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE audit_log")  # its triggers refuse row deletes, not DROP
    op.execute("DROP FUNCTION audit_log_append_only()")
    op.drop_index('ix_money_movements_path_gist', table_name='money_movements', postgresql_using='gist')
    op.drop_index('ix_money_movements_account', table_name='money_movements')
    op.drop_table('money_movements')
    op.drop_table('lease_rooms')
    op.drop_index('ix_account_meters_account', table_name='account_meters')
    op.drop_table('account_meters')
    op.drop_index('ix_leases_tenant', table_name='leases')
    op.drop_table('leases')
    op.drop_index('ix_accounts_tenant', table_name='accounts')
    op.drop_index('ix_accounts_path_gist', table_name='accounts', postgresql_using='gist')
    op.drop_table('accounts')
    op.drop_index('ix_tenants_phone', table_name='tenants')
    op.drop_index('ix_tenants_path_gist', table_name='tenants', postgresql_using='gist')
    op.drop_table('tenants')
    op.drop_index('ix_meters_room', table_name='meters')
    op.drop_index('ix_meters_path_gist', table_name='meters', postgresql_using='gist')
    op.drop_index('ix_meters_gateway', table_name='meters')
    op.drop_table('meters')
    op.drop_table('grants')
    op.drop_table('api_tokens')
    op.drop_table('roles')
    op.drop_index('ix_plans_path_gist', table_name='plans', postgresql_using='gist')
    op.drop_table('plans')
    op.drop_table('outbox')
    op.drop_table('operators')
    op.drop_index('ix_nodes_path_gist', table_name='nodes', postgresql_using='gist')
    op.drop_index('ix_nodes_parent', table_name='nodes')
    op.drop_table('nodes')
    op.drop_index('ix_meter_days_path_gist', table_name='meter_days', postgresql_using='gist')
    op.drop_index('ix_meter_days_day', table_name='meter_days')
    op.drop_table('meter_days')
    op.drop_table('inbox')
    op.drop_table('idempotency_keys')
    op.drop_index('ix_gateways_path_gist', table_name='gateways', postgresql_using='gist')
    op.drop_table('gateways')
    op.drop_index('ix_commands_path_gist', table_name='commands', postgresql_using='gist')
    op.drop_index('ix_commands_meter', table_name='commands')
    op.drop_table('commands')
    op.drop_index('ix_batches_path_gist', table_name='batches', postgresql_using='gist')
    op.drop_table('batches')
