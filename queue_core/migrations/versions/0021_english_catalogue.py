"""English catalogue: departments' and windows' English names, and the items' disclosures in
English, for the kiosk's, the phone's and the boards' English mode (issue 22)

Revision ID: 4e8c2a6f9d31
Revises: 9b3f5d7e1a24
Create Date: 2026-12-07 07:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "4e8c2a6f9d31"
down_revision = "9b3f5d7e1a24"
branch_labels = None
depends_on = None

ITEM_TEXTS = {
    "applicant_en": sa.String(length=80),
    "fees_en": sa.Text(),
    "fee_basis_en": sa.Text(),
    "authority_en": sa.String(length=400),
}
ITEM_LISTS = ("basis_en", "materials_en", "conditions_en", "procedure_en")


def upgrade() -> None:
    op.add_column("department", sa.Column("name_en", sa.String(length=120), nullable=False, server_default=""))
    op.add_column("window", sa.Column("name_en", sa.String(length=120), nullable=False, server_default=""))
    for name, column_type in ITEM_TEXTS.items():
        op.add_column("service_item", sa.Column(name, column_type, nullable=False, server_default=""))
    for name in ITEM_LISTS:
        op.add_column("service_item", sa.Column(name, sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    for name in (*ITEM_LISTS, *ITEM_TEXTS):
        op.drop_column("service_item", name)
    op.drop_column("window", "name_en")
    op.drop_column("department", "name_en")
