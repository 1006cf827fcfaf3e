"""The console's registry (registry.events.v1): which project (property) and tenant an account belongs to.

The project is what the service-fee agreement is looked up by; a placement the wallet hears before
the account is opened is kept, and open_account takes the project from it when none is given.
"""

from __future__ import annotations

from services.wallet.domain.commands import PlaceAccount, PlaceMeter
from services.wallet.domain.placements import AccountPlacement, MeterPlacement
from services.wallet.unit_of_work import WalletUnitOfWork


async def place_account(uow: WalletUnitOfWork, cmd: PlaceAccount) -> bool:
    """The account belongs to this tenant in this property: it takes the property as its project.

    An older or replayed placement changes nothing (False); one for an account not opened yet is kept
    for when it is.
    """
    if not cmd.account_id:
        return False
    async with uow:
        placement = AccountPlacement(cmd.account_id, cmd.tenant_id, cmd.property_id, cmd.placed_at)
        if not await uow.placements.keep_account(placement):
            return False
        account = (await uow.accounts.get_many_for_update([cmd.account_id])).get(cmd.account_id)
        if account is not None:
            account.place(cmd.property_id, cmd.tenant_id)
            await uow.accounts.save(account)
        await uow.commit()
    return True


async def place_meter(uow: WalletUnitOfWork, cmd: PlaceMeter) -> bool:
    """A meter was placed in a property: the account holding it takes that project if it has none yet.

    The account's own placement (place_account) is what moves a project; an older or replayed meter
    placement changes nothing (False).
    """
    if not cmd.meter_id:
        return False
    async with uow:
        if not await uow.placements.keep_meter(MeterPlacement(cmd.meter_id, cmd.property_id, cmd.placed_at)):
            return False
        account = (await uow.accounts.get_for_update_by_meters([cmd.meter_id])).get(cmd.meter_id)
        if account is not None and not account.project_id and cmd.property_id:
            account.place(cmd.property_id, "")
            await uow.accounts.save(account)
        await uow.commit()
    return True
