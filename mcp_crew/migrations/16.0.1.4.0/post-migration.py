"""Secret values move from mcp_server_param.secret_value (a column managers
could group, search and sort on) to mcp.server.secret (system administrators
only); the old column is dropped so no copy stays behind. Stdio servers last
written by a system administrator keep running (stdio_approved)."""


def migrate(cr, version):
    cr.execute(
        "SELECT 1 FROM information_schema.columns "
        "WHERE table_name = 'mcp_server_param' AND column_name = 'secret_value'"
    )
    if cr.fetchone():
        cr.execute(
            """
            INSERT INTO mcp_server_secret
                (param_id, company_id, value, create_uid, create_date, write_uid, write_date)
            SELECT id, company_id, secret_value, 1, now() at time zone 'UTC',
                   1, now() at time zone 'UTC'
              FROM mcp_server_param
             WHERE is_secret AND secret_value IS NOT NULL AND secret_value != ''
            ON CONFLICT (param_id) DO NOTHING
            """
        )
        cr.execute("ALTER TABLE mcp_server_param DROP COLUMN secret_value")
    cr.execute(
        """
        UPDATE mcp_server server SET stdio_approved = TRUE
         WHERE server.write_uid = 1
            OR server.write_uid IN (
                SELECT rel.uid FROM res_groups_users_rel rel
                  JOIN ir_model_data imd ON imd.res_id = rel.gid AND imd.model = 'res.groups'
                   AND imd.module = 'base' AND imd.name = 'group_system')
        """
    )
