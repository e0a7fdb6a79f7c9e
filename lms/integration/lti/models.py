"""The tables of LTI 1.3: platforms registered by an admin, the tool's own keys, the nonces already seen, the
platforms' course contexts and their cohorts, the links placed by deep linking, and the line items scores go to."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...cohorts.models import Cohort
from ...models import Base, Course, Enrolment, User, utcnow
from ..identities import MAX_ISSUER

#: Longest URL kept (endpoints, line items).
URL_LIMIT = 1024


class Platform(Base):
    """An LMS registered to launch Passerelle: who it is (``issuer``), the id it gave the tool (``client_id``),
    where its keys are, where its log-in and token endpoints are, and the deployments it may launch from."""

    __tablename__ = "lti_platform"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    # As long as the identities of the people it launches allow (:mod:`lms.integration.identities`).
    issuer: Mapped[str] = mapped_column(String(MAX_ISSUER))
    client_id: Mapped[str] = mapped_column(String(255))
    jwks_url: Mapped[str] = mapped_column(String(URL_LIMIT))
    auth_login_url: Mapped[str] = mapped_column(String(URL_LIMIT))
    auth_token_url: Mapped[str] = mapped_column(String(URL_LIMIT))
    # The audience of the tool's token requests, when the platform wants one other than its token URL.
    auth_audience: Mapped[str] = mapped_column(String(URL_LIMIT), default="")
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deployments: Mapped[list[Deployment]] = relationship(back_populates="platform", cascade="all, delete-orphan",
                                                         order_by="Deployment.deployment_id")

    @property
    def deployment_ids(self) -> list[str]:
        return [deployment.deployment_id for deployment in self.deployments]

    @property
    def label(self) -> str:
        """How people name the platform: its name, else its issuer."""
        return self.name or self.issuer


class Deployment(Base):
    """A deployment of the tool on a platform (a site, or one course of it): launches name theirs."""

    __tablename__ = "lti_deployment"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(255))
    platform: Mapped[Platform] = relationship(back_populates="deployments")


class ToolKey(Base):
    """An RSA key pair of the tool: it signs deep linking responses and service token requests; its public half is
    published at the tool's JWKS address.  The newest is the one used; older ones stay published after a rotation,
    so that what they signed still verifies until platforms have fetched the new one."""

    __tablename__ = "lti_tool_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    private_pem: Mapped[str] = mapped_column(Text)
    public_pem: Mapped[str] = mapped_column(Text)
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SeenNonce(Base):
    """The nonce of an id_token once a launch used it: the same token sent again is refused, on any app server."""

    __tablename__ = "lti_nonce"
    __table_args__ = (UniqueConstraint("issuer", "nonce"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(MAX_ISSUER))
    nonce: Mapped[str] = mapped_column(String(255))
    expires: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class LaunchData(Base):
    """What pylti1p3 keeps between an OIDC log-in and its launch, and after a launch (its claims, for deep
    linking): a value under a key, until it expires.  Kept in the database so that any app server finds it."""

    __tablename__ = "lti_launch_data"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class Context(Base):
    """A course of a platform (its ``context``) that launched a Passerelle course: its members meet in a cohort."""

    __tablename__ = "lti_context"
    __table_args__ = (UniqueConstraint("platform_id", "context_id", "course_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id", ondelete="CASCADE"))
    context_id: Mapped[str] = mapped_column(String(255))
    course_id: Mapped[int] = mapped_column(ForeignKey("lms_course.id"))
    cohort_id: Mapped[int] = mapped_column(ForeignKey("lms_cohort.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300), default="")
    # The names and roles service of the context, as its last launch gave it ("" when it gave none).
    memberships_url: Mapped[str] = mapped_column(String(URL_LIMIT), default="")
    deployment_id: Mapped[str] = mapped_column(String(255), default="")
    platform: Mapped[Platform] = relationship()
    course: Mapped[Course] = relationship()
    cohort: Mapped[Cohort] = relationship()


class Link(Base):
    """A course or module of Passerelle placed in a platform's course by deep linking (``module`` "" for the whole
    course); its launches name it by ``uuid``."""

    __tablename__ = "lti_link"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id", ondelete="CASCADE"), index=True)
    deployment_id: Mapped[str] = mapped_column(String(255))
    course_id: Mapped[int] = mapped_column(ForeignKey("lms_course.id"))
    module: Mapped[str] = mapped_column(String(100), default="")
    title: Mapped[str] = mapped_column(String(300))
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    platform: Mapped[Platform] = relationship()
    course: Mapped[Course] = relationship()


class LineItem(Base):
    """A column of a platform's gradebook that scores of one Passerelle course or module go to (``module`` "" for
    the course)."""

    __tablename__ = "lti_line_item"
    __table_args__ = (UniqueConstraint("platform_id", "url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(URL_LIMIT))
    course_id: Mapped[int] = mapped_column(ForeignKey("lms_course.id"))
    module: Mapped[str] = mapped_column(String(100), default="")
    score_maximum: Mapped[float] = mapped_column(Float, default=100.0)
    # The scopes the platform granted for it (space-separated), as the launch said.
    scopes: Mapped[str] = mapped_column(Text, default="")
    platform: Mapped[Platform] = relationship()


class Outcome(Base):
    """A learner's score in a line item: ``due`` when what the LMS graded changed since it was last sent."""

    __tablename__ = "lti_outcome"
    __table_args__ = (UniqueConstraint("line_item_id", "user_id"),
                      Index("ix_lti_outcome_due", "due"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_item_id: Mapped[int] = mapped_column(ForeignKey("lti_line_item.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_user.id", ondelete="CASCADE"), index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("lms_enrolment.id", ondelete="CASCADE"), index=True)
    lti_user_id: Mapped[str] = mapped_column(String(255))  # the platform's id of the learner (the launch's sub)
    due: Mapped[bool] = mapped_column(default=True)
    # Counts the times the score was marked due: a sending that read an older count leaves it due.
    changes: Mapped[int] = mapped_column(Integer, default=1)
    sent: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    sent_score: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str] = mapped_column(Text, default="")
    line_item: Mapped[LineItem] = relationship()
    user: Mapped[User] = relationship()
    enrolment: Mapped[Enrolment] = relationship()
