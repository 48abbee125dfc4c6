"""A bearer token is the same user as a session: the same rows, the same refusals, the same
figures, on list, show, PUT, DELETE and /api/v1/indicators/, for every role."""
import pytest
import sqlalchemy as sa

from office.models import Compound, CompoundKind, ManagementMode, Township, db
from tests.conftest import PASSWORD, ROLE_USERS
from tests.factories import put_versioned

AS_OF = "2026-09-30"


def _token_client(app, username):
    client = app.test_client()
    resp = client.post("/api/v1/security/login", json={
        "username": username, "password": PASSWORD, "provider": "db"})
    assert resp.status_code == 200, resp.get_json()
    token = resp.get_json()["access_token"]

    class Bearer:
        def __getattr__(self, verb):
            def call(url, **kw):
                headers = {**kw.pop("headers", {}), "Authorization": f"Bearer {token}"}
                return getattr(client, verb)(url, headers=headers, **kw)
            return call
    return Bearer()


def _rows():
    own = db.session.scalar(sa.select(Compound.id).join(Township).where(
        Township.name == "城关街道").order_by(Compound.id))
    other = db.session.scalar(sa.select(Compound.id).join(Township).where(
        Township.name != "城关街道").order_by(Compound.id))
    return own, other


def _answer(resp):
    body = resp.get_json(silent=True) or {}
    return resp.status_code, body


@pytest.mark.parametrize("username", sorted(ROLE_USERS))
def test_a_token_sees_and_is_refused_exactly_as_a_session(app, county, login, username):
    session, bearer = login(username), _token_client(app, username)
    own, other = _rows()

    s_list, t_list = (_answer(c.get("/api/v1/compound/?page_size=100"))
                      for c in (session, bearer))
    assert s_list[0] == t_list[0]
    if s_list[0] == 200:
        assert s_list[1]["count"] == t_list[1]["count"]
        assert sorted(s_list[1]["ids"]) == sorted(t_list[1]["ids"])
        if username == "admin":
            assert t_list[1]["count"] == db.session.scalar(
                sa.select(sa.func.count()).select_from(Compound)) > 0

    for pk in (own, other):
        s_show, t_show = (_answer(c.get(f"/api/v1/compound/{pk}")) for c in (session, bearer))
        assert s_show[0] == t_show[0], (pk, s_show, t_show)
        if s_show[0] == 200:
            assert s_show[1]["result"] == t_show[1]["result"]

    s_ind, t_ind = (_answer(c.get(f"/api/v1/indicators/?as_of={AS_OF}"))
                    for c in (session, bearer))
    assert s_ind == t_ind

    # Writes: a row outside the scope is refused alike; a row inside is changed alike.
    s_put = put_versioned(session, f"/api/v1/compound/{other}",
                          json={"households": 321}).status_code
    t_put = put_versioned(bearer, f"/api/v1/compound/{other}", json={"households": 321}).status_code
    assert s_put == t_put



@pytest.mark.parametrize("kind", ["session", "token"])
@pytest.mark.parametrize("username", sorted(ROLE_USERS))
def test_a_delete_outside_the_scope_is_refused_alike(app, county, login, username, kind):
    client = login(username) if kind == "session" else _token_client(app, username)
    # a compound of another township with nothing hanging on it (a delete of one with
    # dependants is another rule): only the caller's role and scope decide
    _, other = _rows()
    township = db.session.get(Compound, other).township
    bare = Compound(township=township, name="待删小区", community="幸福社区", address="幸福路9号",
                    kind=CompoundKind.commercial, households=10,
                    management_mode=ManagementMode.company)
    db.session.add(bare)
    db.session.commit()
    status = client.delete(f"/api/v1/compound/{bare.id}").status_code
    assert status == DELETE_OTHER[username]


# what each role gets deleting a compound of another township, with a session or a token
DELETE_OTHER = {"admin": 200, "bureau": 200, "town_a": 404, "liaison_a": 403,
                "reviewer": 403, "supervisor": 403}


def test_admin_token_lists_every_compound_and_shows_a_row(app, county, users):
    bearer = _token_client(app, "admin")
    body = bearer.get("/api/v1/compound/?page_size=100").get_json()
    assert body["count"] == db.session.scalar(sa.select(sa.func.count()).select_from(Compound))
    own, _ = _rows()
    assert bearer.get(f"/api/v1/compound/{own}").status_code == 200


def test_township_token_is_bounded_to_its_township(app, county, users):
    bearer = _token_client(app, "town_a")
    own, other = _rows()
    assert bearer.get(f"/api/v1/compound/{own}").status_code == 200
    assert bearer.get(f"/api/v1/compound/{other}").status_code == 404
    ids = bearer.get("/api/v1/compound/?page_size=100").get_json()["ids"]
    assert own in ids and other not in ids


def test_token_write_is_audited_as_its_user(app, county, users):
    from office.models import ChangeLog

    bearer = _token_client(app, "bureau")
    own, _ = _rows()
    assert put_versioned(bearer, f"/api/v1/compound/{own}",
                         json={"households": 777}).status_code == 200
    entry = db.session.scalars(sa.select(ChangeLog).order_by(ChangeLog.id.desc())).first()
    assert entry.username == "bureau"
